"""``sandbox/inside`` is what runs in the jail: it alone of the package is bound in, and its modules, which
import each other as top-level names there, import only the standard library and each other."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

import mammoth_math
from mammoth_math.sandbox.isolation import INSIDE_DIR, WORKER_DIR, bwrap_command, python_roots

PACKAGE = Path(mammoth_math.__file__).resolve().parent
INSIDE_NAMES = {p.stem for p in WORKER_DIR.glob("*.py")}


def _outside_imports(path: Path) -> set[str]:
    """What ``path`` imports that is neither the standard library nor a module of its own folder."""
    own = {p.stem for p in path.parent.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]  # relative: no package around them in the jail
        else:
            continue
        found |= {n for n in names if n.split(".")[0] not in sys.stdlib_module_names | own}
    return found


@pytest.mark.parametrize("path", sorted(WORKER_DIR.glob("*.py")), ids=lambda p: p.name)
def test_inside_modules_import_only_the_standard_library_and_each_other(path: Path) -> None:
    outside = _outside_imports(path)
    assert not outside, f"{path.name} imports {sorted(outside)}, which the jail does not have"


def test_the_import_check_sees_a_violation(tmp_path: Path) -> None:
    """The walker must catch a forbidden import, or the test above proves nothing."""
    (tmp_path / "_sibling.py").write_text("")
    fake = tmp_path / "_fake.py"
    fake.write_text("import os, _sibling\nimport numpy\nfrom mammoth_math.sandbox import pool\nfrom . import x\n")
    assert _outside_imports(fake) == {"numpy", "mammoth_math.sandbox", "."}


def test_only_the_inside_folder_of_the_package_is_bound() -> None:
    argv = bwrap_command("bwrap", 64)
    binds = [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a in ("--ro-bind", "--bind")]
    of_package = [b for b in binds if Path(b[0]).resolve().is_relative_to(PACKAGE)]
    assert of_package == [(str(WORKER_DIR), INSIDE_DIR)]
    assert argv[-1] == f"{INSIDE_DIR}/_worker.py"


def test_a_jailed_program_sees_the_inside_folder_and_nothing_else_of_the_package(sandbox, report) -> None:
    if report.mode != "bubblewrap":
        pytest.skip(f"needs bubblewrap: {report.reason}")
    # The host's own copies, unless the package is installed among the interpreter's (public) files,
    # which are bound read-only as a whole.
    bound = [Path(r) for r in python_roots()]
    host = [str(p) for p in (PACKAGE, PACKAGE / "sandbox" / "pool.py", PACKAGE / "sandbox" / "service.py",
                             WORKER_DIR, WORKER_DIR / "_worker.py")
            if not any(p.is_relative_to(r) for r in bound)]
    code = (f"import json, os\nhost = {host!r}\n"
            f"print(json.dumps([sorted(os.listdir({INSIDE_DIR!r})), [p for p in host if os.path.exists(p)]]))")
    result = sandbox.run(code)
    assert result.error is None, result
    listing, seen = json.loads(result.answer)
    assert set(listing) - {"__pycache__"} == {f"{n}.py" for n in INSIDE_NAMES}
    assert not seen, f"host files of the package visible in the jail: {seen}"
    host_modules = {"pool", "_process", "service", "isolation", "check", "_host", "_metrics"}
    assert not host_modules & INSIDE_NAMES  # host code stays out
