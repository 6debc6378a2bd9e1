"""The quickstart pipeline at toy size: every artefact is written, the table is printed, a re-run resumes."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from mammoth_math.cli import main
from mammoth_math.prompts import TIR_TRIGGER
from mammoth_math.synthetic import QuickstartConfig, run_quickstart
from mammoth_math.synthetic.quickstart import MODES

TOY = {"train_problems": 24, "test_problems": 8, "hidden_size": 32, "layers": 1, "heads": 2, "vocab_size": 300,
       "max_steps": 4, "batch_size": 8, "max_new_tokens": 24, "eval_batch_size": 8, "threads": 1, "progress": False}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("quickstart")
    return out, run_quickstart(QuickstartConfig(out_dir=str(out), seed=3, **TOY))


def test_every_stage_writes_its_artefacts(run) -> None:
    out, result = run
    assert result.skipped == []
    train_rows = (out / "synthetic" / "train.jsonl").read_text().splitlines()
    test_rows = [json.loads(line) for line in (out / "synthetic" / "test" / "custom.jsonl").read_text().splitlines()]
    assert len(train_rows) == 24 and len(test_rows) == 8
    exported = [json.loads(line) for line in (out / "data" / "data.jsonl").read_text().splitlines()]
    assert {r["rationale_type"] for r in exported} == {"cot", "pot", "tir"} and len(exported) == 72  # all verified
    tir = [r for r in exported if r["rationale_type"] == "tir"]
    assert all("```output\n" in r["output"] and r["instruction"].endswith(TIR_TRIGGER) for r in tir)
    assert json.loads((out / "data" / "alpaca.json").read_text())[0].keys() >= {"instruction", "input", "output"}
    assert (out / "data" / "report.json").exists() and (out / "data" / "rejects.jsonl").read_text() == ""
    for name in ("config.json", "model.safetensors", "tokenizer.json", "train_config.yaml"):
        assert (out / "model" / name).exists(), name
    tokenizer = AutoTokenizer.from_pretrained(str(out / "model"))
    pieces = tokenizer.convert_ids_to_tokens(tokenizer("s = 1395", add_special_tokens=False)["input_ids"])
    assert pieces[-4:] == ["1", "3", "9", "5"]  # one token per digit: programs copy numbers digit by digit
    for mode in MODES:
        records = [json.loads(line) for line in (out / "eval" / mode / "custom.jsonl").read_text().splitlines()]
        assert sorted(r["id"] for r in records) == sorted(f"custom/{r['id']}" for r in test_rows)
    assert Path(result.report_html).name == "report.html" and Path(result.report_html).stat().st_size > 0
    assert Path(result.report_png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [row["dataset"] for row in result.table] == ["custom"]  # no "average" of one data set
    assert all(0.0 <= row[m] <= 1.0 for row in result.table for m in MODES)
    assert set(result.families) == {"arithmetic", "rates", "linear", "choice"}
    results = json.loads((out / "eval" / "results.json").read_text())
    assert results["breakdown"]["custom"]["field"] == "family"
    assert {row["value"] for row in results["breakdown"]["custom"]["rows"]} == set(result.families)
    assert {run["model"] for run in results["runs"].values()} == {str(out / "model")}
    # Responses are cached beside the model: hybrid-tir's TIR turns and CoT fallbacks were all written before
    # (tir, cot), so it generated nothing new; greedy decoding gives the same text to the same request.
    cache = {mode: json.loads((out / "eval" / mode / "run.json").read_text())["backend"]["cache"] for mode in MODES}
    assert cache["hybrid-tir"]["misses"] == cache["tir"]["misses"] and cache["hybrid-tir"]["hits"] > 0
    page = Path(result.report_html).read_text()
    assert "quickstart test set: accuracy (%) by family" in page and "<td>8 of 8</td>" in page
    assert "<h2>suite: quickstart</h2>" in page and "<title>mammoth-math quickstart" in page


def test_rerun_resumes_and_prints_the_same_table(run, capsys: pytest.CaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out, first = run
    model_mtime = (out / "model" / "model.safetensors").stat().st_mtime_ns
    again = run_quickstart(QuickstartConfig(out_dir=str(out), seed=3, **TOY))
    assert again.skipped == ["generate", "data", "train", "eval"]
    assert again.table == first.table and again.families == first.families
    assert (out / "model" / "model.safetensors").stat().st_mtime_ns == model_mtime
    with pytest.raises(ValueError, match="other settings .*hidden_size 32 -> 48"):
        run_quickstart(QuickstartConfig(out_dir=str(out), seed=3, **{**TOY, "hidden_size": 48}))
    with pytest.raises(ValueError, match="other settings .*threads 1 -> 2"):
        run_quickstart(QuickstartConfig(out_dir=str(out), seed=3, **{**TOY, "threads": 2}))
    # The command on the same folder, at toy size: everything resumes and the table is printed.
    monkeypatch.setattr(QuickstartConfig, "for_minutes",
                        classmethod(lambda cls, minutes, rl=False, **kw: cls(**{**kw, **TOY})))
    assert main(["quickstart", "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "quickstart accuracy" in printed and "hybrid-tir" in printed
    assert "skipped generate, data, train, eval" in printed


def test_same_seed_same_model_and_generations(run, tmp_path: Path) -> None:
    out, first = run
    again = run_quickstart(QuickstartConfig(out_dir=str(tmp_path), seed=3, **TOY))
    for rel in ("synthetic/train.jsonl", "data/data.jsonl", "model/model.safetensors"):
        assert (tmp_path / rel).read_bytes() == (out / rel).read_bytes(), rel
    for mode in MODES:
        texts = [[json.loads(line)["attempts"] for line in (root / "eval" / mode / "custom.jsonl").open()]
                 for root in (out, tmp_path)]
        assert [[a["text"] for a in r] for r in texts[0]] == [[a["text"] for a in r] for r in texts[1]]
    assert again.table == first.table


def test_a_new_training_budget_reuses_the_data_and_equals_a_fresh_run(run, tmp_path: Path) -> None:
    out, _ = run
    extended = tmp_path / "extended"
    shutil.copytree(out, extended)
    data_mtime = (extended / "data" / "data.jsonl").stat().st_mtime_ns
    longer = {**TOY, "max_steps": 6}
    again = run_quickstart(QuickstartConfig(out_dir=str(extended), seed=3, **longer))
    assert again.skipped == ["generate", "data"]  # the model and the evaluation are redone
    assert (extended / "data" / "data.jsonl").stat().st_mtime_ns == data_mtime
    fresh = run_quickstart(QuickstartConfig(out_dir=str(tmp_path / "fresh"), seed=3, **longer))
    model = "model/model.safetensors"
    assert (extended / model).read_bytes() == (tmp_path / "fresh" / model).read_bytes()
    assert again.table == fresh.table
    # Without --threads a resumed folder keeps the count it recorded (float sums depend on it).
    assert run_quickstart(QuickstartConfig(out_dir=str(extended), seed=3, **{**longer, "threads": None})).skipped \
        == ["generate", "data", "train", "eval"]


def _readme_quickstart() -> tuple[list[str], list[str]]:
    """The quickstart command README.md shows for the tests (``$ mammoth-math quickstart ... --out DIR``; the
    default run's table beside it takes too long to reproduce here) and the table under it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```\n(\$ mammoth-math quickstart [^\n]*--out .*?)^```", readme, flags=re.S | re.M).group(1)
    command, *table = block.rstrip("\n").split("\n")
    return shlex.split(command)[2:], table


def test_readme_table_is_what_the_documented_command_prints(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    argv, table = _readme_quickstart()
    argv[argv.index("--out") + 1] = str(tmp_path / "run")
    monkeypatch.setenv("COLUMNS", "120")
    assert main(argv) == 0
    printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
    start = printed.index(table[0].rstrip())
    assert printed[start:start + len(table)] == [line.rstrip() for line in table]
