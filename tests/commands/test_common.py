"""Values a user gives are checked, as a class, before anything is loaded or written (issue 24, items 3 and 11):
every numeric flag of every command has a range, every config field a type and a range checked with its file
and line, and a usage error is three lines (usage, error, where the help is), not the whole usage."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mammoth_math.cli import build_parser, main
from mammoth_math.synthetic.quickstart import QuickstartConfig, run_quickstart

from test_cli_errors import custom_dir, empty_model, fails  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[1]


def usage_error(capsys: pytest.CaptureFixture, argv: list[str], *expected: str) -> list[str]:
    """``argv`` is refused by the parser: exit 2 and three lines, the error naming ``expected``."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    lines = capsys.readouterr().err.splitlines()
    assert exit_.value.code == 2 and len(lines) == 3, lines
    assert lines[0].startswith("usage: mammoth-math ") and lines[2].endswith("--help` for every option")
    assert lines[1].startswith("error: ") and all(text in lines[1] for text in expected), lines[1]
    return lines


@pytest.mark.parametrize("argv, expected", [
    (["eval", "--limit", "-3"], ("--limit", "must be >= 1", "-3")),
    (["eval", "--limit", "0"], ("--limit", "must be >= 1")),
    (["eval", "--limit", "five"], ("--limit", "expected an integer", "'five'")),
    (["eval", "--top-p", "1.5"], ("--top-p", "must be <= 1")),
    (["quickstart", "--minutes", "-1"], ("--minutes", "must be > 0")),
    (["quickstart", "--minutes", "nan"], ("--minutes", "finite")),
    (["quickstart", "--problems", "100", "0"], ("--problems", "must be >= 1")),
    (["launch", "slurm", "--shards", "0", "--", "eval"], ("--shards", "must be >= 1")),
])
def test_bad_numbers_are_refused_by_the_parser(capsys, argv, expected):
    usage_error(capsys, argv, *expected)


def test_quickstart_threads_0_writes_nothing_so_the_corrected_command_is_not_refused(capsys, tmp_path):
    out = tmp_path / "qs"
    usage_error(capsys, ["quickstart", "--threads", "0", "--out", str(out)], "--threads", "must be >= 1")
    assert not out.exists()
    with pytest.raises(ValueError, match="threads must be >= 1"):  # the library refuses it before writing too
        run_quickstart(QuickstartConfig(out_dir=str(out), threads=0))
    with pytest.raises(ValueError, match="minutes must be > 0"):
        QuickstartConfig.for_minutes(-1, out_dir=str(out))
    assert not out.exists()


def _subparsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _subparsers(sub)


def test_every_numeric_flag_of_every_command_has_a_range():
    """The class, not the instances: no flag parses a bare int or float, and each refuses -1, nan and words."""
    numeric = 0
    for parser in _subparsers(build_parser()):
        for action in parser._actions:
            assert action.type not in (int, float), (parser.prog, action.dest)
            if callable(action.type) and type(action.type).__name__ == "_Number":
                numeric += 1
                for text in ("-1", "nan", "inf", "ten"):
                    with pytest.raises(argparse.ArgumentTypeError):
                        action.type(text)
    assert numeric >= 35  # eval, probe, train, data, quickstart, launch, sandbox, grade


def test_usage_error_is_three_lines_not_the_whole_usage(capsys):
    lines = usage_error(capsys, ["eval", "--limit", "x"], "--limit")
    assert lines[0] == "usage: mammoth-math eval [options]"
    usage_error(capsys, ["eval", "--modle", "x"], "unrecognized arguments: --modle")
    lines = usage_error(capsys, ["data", "build", "--out", "x"], "required", "--config")
    assert lines[0] == "usage: mammoth-math data build --config CONFIG --out OUT [options]"
    usage_error(capsys, ["evl"], "invalid choice: 'evl'")


def test_eval_yaml_limit_five_names_file_line_and_field_before_the_model(capsys, empty_model, custom_dir, tmp_path):
    config = tmp_path / "eval.yaml"
    config.write_text(f"model: {empty_model}\ndatasets: [custom]\ndata_dir: {custom_dir}\nlimit: five\n"
                      f"output_dir: {tmp_path / 'out'}\n")
    fails(capsys, ["eval", "--config", str(config)], f"{config}:4:", "'limit'", "expected an integer", "'five'")
    config.write_text(config.read_text().replace("limit: five", "limit: 0"))
    fails(capsys, ["eval", "--config", str(config)], f"{config}:4:", "'limit'", "must be >= 1")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("line, expected", [
    ("max_length: -3", ("must be >= 1",)),
    ("learning_rate: fast", ("expected a number", "'fast'")),
    ("num_train_epochs: 0", ("must be > 0",)),
    ("per_device_train_batch_size: 2.5", ("expected an integer",)),
])
def test_train_yaml_fields_are_checked_with_their_line(capsys, tmp_path, line, expected):
    config = tmp_path / "train.yaml"
    config.write_text(f"model: tiny\ndata: [{tmp_path / 'missing.jsonl'}]\n{line}\n")
    fails(capsys, ["train", "--config", str(config)], f"{config}:3:", f"'{line.split(':')[0]}'", *expected)
    config.write_text(f"model: tiny\ndata: [{tmp_path / 'missing.jsonl'}]\n")
    fails(capsys, ["train", "--config", str(config), line.replace(": ", "=")], "<command line>", *expected)


def test_data_configs_are_checked_with_their_line(capsys, tmp_path):
    build = tmp_path / "build.yaml"
    build.write_text("name: x\nsources:\n  - {name: gsm8k, limit: 0}\neval_dir: null\n")
    fails(capsys, ["data", "build", "--config", str(build), "--out", str(tmp_path / "out")],
          f"{build}:2:", "'sources.limit'", "must be >= 1")
    build.write_text("sources: [gsm8k]\nnear_dup_threshold: 1.5\n")
    fails(capsys, ["data", "build", "--config", str(build), "--out", str(tmp_path / "out")],
          f"{build}:2:", "'near_dup_threshold'", "must be <= 1")
    distill = tmp_path / "distill.yaml"
    distill.write_text("sources: [gsm8k]\nmodel: m\nk: two\n")
    fails(capsys, ["data", "distill", "--config", str(distill), "--out", str(tmp_path / "out")],
          f"{distill}:3:", "'k'", "expected an integer")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()


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
