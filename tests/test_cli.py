from __future__ import annotations

import subprocess
import sys

from mammoth_math import __version__
from mammoth_math.cli import build_parser


def test_version_flag_prints_installed_version() -> None:
    out = subprocess.run([sys.executable, "-m", "mammoth_math", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.strip() == f"mammoth-math {__version__}"
    assert __version__ != "0.0.0+unknown", "the package must be installed (pip install -e .)"


def test_help_lists_subcommands() -> None:
    text = build_parser().format_help()
    assert "sandbox" in text
