"""Drive the command line as a user would and check how it refuses: one ``error:`` line and exit 2, or a
three-line usage error from the parser."""

from __future__ import annotations

import pytest

from mammoth_math.cli import main


def fails(capsys: pytest.CaptureFixture, argv: list[str], *expected: str) -> str:
    """Run ``argv``; assert exit 2, no traceback and exactly one ``error:`` line holding ``expected``."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


def usage_error(capsys: pytest.CaptureFixture, argv: list[str], *expected: str) -> list[str]:
    """``argv`` is refused by the parser: exit 2 and three lines, the error naming ``expected``."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    lines = capsys.readouterr().err.splitlines()
    assert exit_.value.code == 2 and len(lines) == 3, lines
    assert lines[0].startswith("usage: mammoth-math ") and lines[2].endswith("--help` for every option")
    assert lines[1].startswith("error: ") and all(text in lines[1] for text in expected), lines[1]
    return lines
