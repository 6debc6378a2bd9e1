"""What runs inside the jail: the worker (``_worker``, started as a script), its fork server, the children
and their helpers. This folder alone is bound into the sandbox (read-only, at /opt/mammoth-sandbox), where
the modules import each other as top-level names; so they import only the standard library and each other
(``tests/sandbox/test_inside.py`` checks both). The host imports ``_protocol`` from here to speak to them.
"""
