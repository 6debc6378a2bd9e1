"""README's 7B dry run, offline: the shipped config reads what `data build` writes, counts tokens with a
local tokenizer, and says so, instead of downloading or staying silent, when it has none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.cli import main

from .conftest import alpaca_rows

REPO = Path(__file__).resolve().parents[2]
SEVEN_B = REPO / "configs" / "train" / "mammoth-7b.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding what `data build --out runs/mathinstruct` writes, with the hub off."""
    data = tmp_path / "runs" / "mathinstruct" / "data.jsonl"
    data.parent.mkdir(parents=True)
    data.write_text("".join(json.dumps(r) + "\n" for r in alpaca_rows()), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    return tmp_path


def _table(capsys: pytest.CaptureFixture) -> dict[str, str]:
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2:
            rows[cells[0]] = cells[1]
    return rows


def test_7b_dry_run_counts_tokens_with_a_local_tokenizer(workdir, capsys) -> None:
    from helpers.tiny_model import build_tiny_tokenizer

    build_tiny_tokenizer().save_pretrained(str(workdir / "tokenizer"))
    argv = ["train", "--config", str(SEVEN_B), "--dry-run", "--processes", "8", "tokenizer=tokenizer"]
    assert main(argv) == 0
    rows = _table(capsys)
    assert rows["data"] == "runs/mathinstruct/data.jsonl" and rows["examples"] == "40"
    assert rows["global batch"] == "128 = 4 per device x 4 accumulation x 8 processes"
    assert rows["total steps"] == "3" and rows["rows read"] == "40"
    assert int(rows["prompt tokens"]) > 0 and int(rows["response tokens (trained)"]) > 0


def test_7b_dry_run_without_the_tokenizer_says_what_is_missing(workdir, capsys) -> None:
    assert main(["train", "--config", str(SEVEN_B), "--dry-run", "--processes", "8"]) == 0
    rows = _table(capsys)
    assert rows["token counts"].startswith("not computed: tokenizer meta-llama/Llama-2-7b-hf is not on this machine")
    assert rows["global batch"] == "128 = 4 per device x 4 accumulation x 8 processes"


def test_dry_run_before_the_build_names_the_missing_file(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--config", str(SEVEN_B), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error: runs/mathinstruct" in err
