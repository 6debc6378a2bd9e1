"""README.md and .ci/run must not drift: CI installs and tests exactly as the README says."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_readme_install_and_test_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    blocks = _bash_blocks(readme)
    install, test = blocks[0], blocks[-1]
    assert install in ci, f"README's install command {install!r} is not a line of .ci/run"
    assert test in ci, f"README's test command {test!r} is not a line of .ci/run"
