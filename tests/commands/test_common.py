"""The parser every command shares (``commands/common.py``): every numeric flag of every command has a range, a
usage error is three lines (usage, error, where the help is), not the whole usage, and help shows defaults."""

from __future__ import annotations

import argparse

import pytest
from helpers.cli import usage_error

from mammoth_math.cli import build_parser, main
from mammoth_math.commands.common import Number


@pytest.mark.parametrize("argv, expected", [
    (["eval", "--limit", "-3"], ("--limit", "must be >= 1", "-3")),
    (["eval", "--limit", "0"], ("--limit", "must be >= 1")),
    (["eval", "--limit", "five"], ("--limit", "expected an integer", "'five'")),
    (["eval", "--top-p", "1.5"], ("--top-p", "must be <= 1")),
    (["eval", "--batch-size", "0"], ("--batch-size", "must be >= 1")),  # backend flags: typed from their field
    (["probe", "--tensor-parallel-size", "two"], ("--tensor-parallel-size", "expected an integer")),
    (["eval", "--endpoint", "rest"], ("--endpoint", "invalid choice", "'rest'")),
    (["quickstart", "--minutes", "-1"], ("--minutes", "must be > 0")),
    (["quickstart", "--minutes", "nan"], ("--minutes", "finite")),
    (["quickstart", "--problems", "100", "0"], ("--problems", "must be >= 1")),
    (["launch", "slurm", "--shards", "0", "--", "eval"], ("--shards", "must be >= 1")),
])
def test_bad_numbers_are_refused_by_the_parser(capsys, argv, expected):
    usage_error(capsys, argv, *expected)


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
            if callable(action.type) and isinstance(action.type, Number):
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


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["quickstart", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 10.0)" in text and "(default: runs/quickstart)" in text and "default: 0" in text
