"""Data flows one way (DEVELOPERS.md): no module imports a part of the package above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mammoth_math"
BASE = {"files", "hub", "pages", "progress", "cpu", "__init__", "__main__"}
BOTTOM = BASE | {"sandbox", "grading", "prompts"}
ALLOWED: dict[str, set[str]] = {
    "files": set(),
    "progress": set(),
    "cpu": {"files"},
    "sandbox": BASE,
    "grading": BASE | {"sandbox"},
    "prompts": BASE,
    "benchmarks": BOTTOM,
    "backends": BASE | {"prompts"},
    "data": BOTTOM | {"benchmarks", "backends"},
    # GRPO rewards grade and run programs, as the evaluation does; its optional judge reward asks backends' judge
    "training": BOTTOM | {"benchmarks", "data", "backends"},
    "evaluation": BOTTOM | {"benchmarks", "backends"},
    "probe": BOTTOM | {"benchmarks", "backends", "evaluation"},
    "synthetic": BOTTOM | {"benchmarks", "backends", "data", "training", "evaluation", "probe"},
    "launch": BASE | {"evaluation"},  # beside cli: reads evaluation's shard files; only cli imports it
    # the command groups cli routes to: they call every part (and cli's parser, to parse launch's inner command);
    # nothing but cli imports them
    "commands": {"cli"} | {p.name.removesuffix(".py") for p in PACKAGE.iterdir() if p.name != "__pycache__"},
}


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(path: Path, package: Path = PACKAGE) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = path.relative_to(package).parts
    parts: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = list(own[:-1])[: len(own) - node.level]
                names = [".".join(["mammoth_math", *base, *(node.module or "").split(".")]).rstrip(".")]
                if not base and not node.module:
                    names = [f"mammoth_math.{a.name}" for a in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            bits = name.split(".")
            if bits[0] == "mammoth_math" and len(bits) > 1:
                parts.add(bits[1])
            elif bits == ["mammoth_math"] and isinstance(node, ast.ImportFrom):
                parts.update(a.name for a in node.names)
    return parts


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _part(p) not in ("cli", "__main__"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_lower_layers(path: Path) -> None:
    part = _part(path)
    assert part in ALLOWED or part in BASE, f"{part}: add this part of the package to the layer table"
    allowed = ALLOWED.get(part, BASE) | {part} | {"__version__"}
    bad = _imported_parts(path) - allowed
    assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}, which sit above {part!r}"


def test_only_cli_imports_launch() -> None:
    importers = [p.relative_to(PACKAGE) for p in MODULES
                 if _part(p) not in ("launch", "commands") and "launch" in _imported_parts(p)]
    assert not importers, f"{importers} import launch, the top layer beside cli"


def test_only_cli_imports_commands() -> None:
    importers = [p.relative_to(PACKAGE) for p in MODULES if _part(p) != "commands" and "commands" in _imported_parts(p)]
    assert not importers, f"{importers} import commands, which only cli routes to"


def test_layer_walker_sees_a_violation(tmp_path: Path) -> None:
    """The walker itself must catch an upward import, or the test above proves nothing."""
    fake = tmp_path / "grading" / "probe.py"
    fake.parent.mkdir()
    fake.write_text("from mammoth_math.evaluation import run\nfrom ..training import x\n")
    assert _imported_parts(fake, package=tmp_path) == {"evaluation", "training"}
