"""Helpers shared by the test suites: a tiny model built from config, and real servers started on 127.0.0.1.

Import as ``from helpers.tiny_model import ...`` (pytest puts ``tests/`` on ``sys.path`` through its
root ``conftest.py``). Nothing here downloads anything.
"""
