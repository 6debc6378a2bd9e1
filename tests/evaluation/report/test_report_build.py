"""``mammoth-math report``: the table, results.json, the PNG chart, and the HTML page driven in headless Chromium."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from helpers.browser import browser  # noqa: F401  (fixture: headless chromium)
from helpers.taught_model import N_GSM8K

from mammoth_math.backends import make_backend
from mammoth_math.cli import main
from mammoth_math.evaluation import EvalConfig, evaluate, read_problem_records


@pytest.fixture(scope="module")
def out(taught_model, sandbox, eval_dir, tmp_path_factory) -> Path:
    """CoT, PoT and hybrid runs of the taught model on 8 GSM8K and 2 AQuA problems."""
    out = tmp_path_factory.mktemp("report")
    model, tokenizer = taught_model
    backend = make_backend("hf", model, tokenizer=tokenizer, batch_size=16)
    for mode in ("cot", "pot", "hybrid"):
        for name, limit in (("gsm8k", N_GSM8K), ("aqua", 2)):
            evaluate(EvalConfig(model="taught-tiny", datasets=[name], output_dir=str(out), mode=mode,
                                data_dir=str(eval_dir), limit=limit, max_new_tokens=24, progress=False),
                     backend, sandbox)
    return out


def test_report_table_json_and_chart(out, capsys):
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "average" in printed and "hybrid" in printed and "accuracy (%) of taught-tiny" in printed
    page = (out / "report.html").read_text()
    assert "<td>aqua</td><td>2 of 254</td><td>--limit 2</td>" in page
    results = json.loads((out / "results.json").read_text())
    assert results["datasets"] == ["gsm8k", "aqua"]
    for run in ("cot", "pot", "hybrid"):
        records = read_problem_records(out / run / "gsm8k.jsonl")
        assert results["runs"][run]["datasets"]["gsm8k"]["correct"] == sum(bool(r.correct) for r in records)
        meta = results["runs"][run]["meta"]
        assert meta["backend"]["backend"] == "hf" and meta["config"]["mode"] == run
    gsm8k, aqua, average = results["table"]
    assert (gsm8k["cot"], gsm8k["pot"], gsm8k["hybrid"]) == (7 / 8, 3 / 8, 6 / 8)
    assert average["hybrid"] == pytest.approx((gsm8k["hybrid"] + aqua["hybrid"]) / 2)
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_html_report_opens_and_a_click_opens_a_problem(out, browser, tmp_path):
    main(["report", str(out)])
    browser("Page.enable")
    browser("Page.navigate", url=(out / "report.html").as_uri())
    browser.wait_for("document.readyState === 'complete' && document.querySelectorAll('#problems tr.row').length > 0")
    summary = browser.js("[...document.querySelectorAll('#summary tr')].map(tr => tr.innerText)")
    assert summary[0].split() == ["dataset", "cot", "pot", "hybrid"]
    assert summary[1].split() == ["gsm8k", "87.5", "37.5", "75.0"] and summary[-1].startswith("average")
    assert browser.js("document.getElementById('chart').naturalWidth") > 100  # the inline PNG decoded
    assert browser.js("document.getElementById('detail').hidden") is True

    # a real mouse click on the row of hybrid's problem gsm8k/1 (a syntax error, then the CoT fallback)
    key = "hybrid|gsm8k/1"
    rect = browser.js(f"(() => {{ const r = document.querySelector('tr[data-key=\"{key}\"]'); r.scrollIntoView();"
                      " const b = r.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        browser("Input.dispatchMouseEvent", type=kind, x=rect[0], y=rect[1], button="left", clickCount=1)
    browser.wait_for("!document.getElementById('detail').hidden")
    detail = browser.js("document.getElementById('detail').innerText")
    assert "hybrid / gsm8k/1: correct" in detail
    assert "x = (1 +" in detail and "SyntaxError" in detail  # the program and what the sandbox said
    assert "fell back to CoT because: error" in detail and "So the answer is 3." in detail  # the fallback
    shot = tmp_path / "report-detail.png"
    shot.write_bytes(base64.b64decode(browser("Page.captureScreenshot", format="png")["data"]))
    assert shot.stat().st_size > 10_000

    # the filters: wrong / fallback / error
    def shown(value: str) -> int:
        browser.js(f"(() => {{ const s = document.getElementById('filter'); s.value = '{value}';"
                   " s.dispatchEvent(new Event('change')); })()")
        return browser.js("document.querySelectorAll('#problems tr.row').length")

    results = json.loads((out / "results.json").read_text())["runs"]
    scores = [d for run in results.values() for d in run["datasets"].values()]
    assert shown("fallback") == sum(s["fallbacks"] for s in scores) > 0
    assert shown("wrong") == sum(s["graded"] - s["correct"] for s in scores) > 0
    assert shown("error") == 0
    assert shown("all") == sum(s["problems"] for s in scores)
