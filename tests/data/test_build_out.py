"""``data build --out`` never moves or replaces what it did not build (issue 24, item 4): an existing file, or a
folder no build wrote, is refused before anything is read or verified; an earlier build is replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_rationales_source import GOOD

from mammoth_math.cli import main


@pytest.fixture
def config(tmp_path: Path) -> Path:
    rows = tmp_path / "r.jsonl"
    rows.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    path = tmp_path / "build.yaml"
    path.write_text(f"sources: [{{name: rationales, path: {rows}}}]\neval_dir: null\nformats: [jsonl]\nworkers: 1\n")
    return path


def _refused(capsys: pytest.CaptureFixture, config: Path, out: Path, *expected: str) -> None:
    assert main(["data", "build", "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {out}: already exists") and all(text in err for text in expected), err
    assert "stage" not in err and len(err.splitlines()) == 1  # refused before the first stage ran
    assert not out.with_name(out.name + ".old").exists() and not out.with_name(out.name + ".partial").exists()


def test_an_existing_file_is_refused_and_left_alone(capsys, config, tmp_path):
    mine = tmp_path / "notes.txt"
    mine.write_text("my own notes\n")
    _refused(capsys, config, mine, "is a file")
    assert mine.read_text() == "my own notes\n"


def test_a_folder_no_build_wrote_is_refused_and_left_alone(capsys, config, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("\\section{}")
    _refused(capsys, config, mine, "no report.json")
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]


def test_an_earlier_build_is_replaced(capsys, config, tmp_path):
    out = tmp_path / "built"
    assert main(["data", "build", "--config", str(config), "--out", str(out)]) == 0
    first = (out / "data.jsonl").read_bytes()
    assert main(["data", "build", "--config", str(config), "--out", str(out)]) == 0
    assert (out / "data.jsonl").read_bytes() == first and (out / "report.json").is_file()
