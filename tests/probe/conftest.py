"""Fixtures for the probe's tests: the real sandbox (``helpers.fixtures``)."""

from helpers.fixtures import sandbox  # noqa: F401  (fixture)
