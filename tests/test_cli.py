"""The router (``cli.py``): version, the command list, usage errors, ``--debug``, and the shipped configs pass
the checks every command applies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mammoth_math import __version__
from mammoth_math.cli import build_parser, main
from mammoth_math.files import InputError

REPO = Path(__file__).resolve().parents[1]


def test_version_flag_prints_installed_version() -> None:
    out = subprocess.run([sys.executable, "-m", "mammoth_math", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.strip() == f"mammoth-math {__version__}"
    assert __version__ != "0.0.0+unknown", "the package must be installed (pip install -e .)"


def test_help_lists_subcommands() -> None:
    text = build_parser().format_help()
    assert "sandbox" in text


def test_bad_flag_is_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "--modle", "x"])
    assert exit_.value.code == 2 and "error:" in capsys.readouterr().err


def test_debug_shows_the_exception(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        main(["--debug", "data", "stats", str(tmp_path / "built")])


def test_shipped_configs_pass_the_checks():
    from mammoth_math.data import load_config as load_build
    from mammoth_math.data import load_distill_config
    from mammoth_math.evaluation import load_config as load_eval
    from mammoth_math.training import config_method, load_grpo_config
    from mammoth_math.training import load_config as load_train
    from mammoth_math.training.prm import load_prm_config
    from mammoth_math.training.rm import load_rm_config

    for path in (REPO / "configs" / "train").glob("*.yaml"):
        if path.stem.startswith(("rm-", "prm-")):
            (load_rm_config if path.stem.startswith("rm-") else load_prm_config)(path, ["model=m", "data=[d.jsonl]"])
        else:
            (load_grpo_config if config_method(path) == "grpo" else load_train)(path, cpu_fallback=True)
    for path in (REPO / "configs" / "data").glob("*.yaml"):
        (load_distill_config if path.stem.startswith("distill") else load_build)(path)
    for path in (REPO / "configs" / "eval").glob("*.yaml"):
        load_eval(path, {"model": "m", "output_dir": "out"})
