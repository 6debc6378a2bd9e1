"""The bubblewrap command line: a virtualenv made under /tmp must survive the private /tmp."""

from __future__ import annotations

from mammoth_math.sandbox.isolation import bwrap_command, python_roots


def test_private_tmp_is_mounted_before_the_interpreter_binds() -> None:
    argv = bwrap_command("bwrap", 64)
    tmpfs = argv.index("--tmpfs")
    assert argv[tmpfs + 1] == "/tmp"
    for root in python_roots():
        bind = next(i for i in range(len(argv) - 2) if argv[i] == "--ro-bind" and argv[i + 1] == root)
        assert bind > tmpfs, f"{root} is bound before --tmpfs /tmp, which would hide it when it lies under /tmp"
