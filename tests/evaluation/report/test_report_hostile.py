"""Hostile text stays text: a model (and a data set) writing markup, template markers and broken Unicode.

A real loopback OpenAI-compatible server answers every request with hostile text (its JSON carries a lone
surrogate, ``"\\ud800"``, as a real server's may); the harness records it, the report writes its page, and
headless Chromium opens the page. No script of theirs may run, and every problem must be listed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.servers import fault_server

from mammoth_math.backends import make_backend
from mammoth_math.evaluation import EvalConfig, build_report, evaluate, read_problem_records

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# What a payload does when it runs: the page's title changes, or an element with this id appears.
RUN = "document.title='pwned';document.body.append(Object.assign(document.createElement('b'),{id:'pwned'}))"
HOSTILE = ("__DATA__ __SECTIONS__ __CHART__ __TITLE__ </script><script>" + RUN + "</script> "
           "<!--<script> <img src=x onerror=\"" + RUN + "\"> </SCRIPT ><svg onload=\"" + RUN + "\"> "
           "\u2028line\u2029para \ud800 lone \udfff & &amp; ]]> --> ")
N = 5


def _questions(root: Path) -> None:
    """A custom data set whose ids and questions are hostile too (the file says ``\\ud800`` in JSON)."""
    rows = [{"id": f"{i}{HOSTILE}" if i % 2 else str(i), "question": f"What is 3 + 4? {HOSTILE}", "gold": "7",
             "kind": "number"} for i in range(N)]
    (root / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after its scripts (and any event handler a payload planted) had their time to run."""
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={profile}", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_hostile_generations_and_questions_stay_text_in_the_report(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    _questions(data)
    replies = {0: "The answer is 7. " + HOSTILE, 1: HOSTILE + " So the answer is 7.", 2: HOSTILE}
    with fault_server([], text=lambda body: replies.get(len(str(body)) % 3, HOSTILE)) as server:
        backend = make_backend("openai", "hostile", base_url=server.base_url, concurrency=2,
                               cache_dir=str(tmp_path / "cache"))
        try:
            evaluate(EvalConfig(model="hostile", backend="openai", datasets=["custom"], output_dir=str(out),
                                mode="cot", data_dir=str(data), max_new_tokens=16, progress=False), backend)
        finally:
            backend.close()
    records = read_problem_records(out / "cot" / "custom.jsonl")
    assert len(records) == N and all(r.error is None for r in records)
    assert all("\ufffd lone \ufffd" in a.text for r in records for a in r.attempts)  # surrogates replaced
    report = build_report(out)
    page = Path(report.html).read_text(encoding="utf-8")
    block = page.split('<script id="report-data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert not re.search("[<>&\u2028\u2029]", block)  # nothing in the data block can end it or open a comment
    assert json.loads(block)["problems"][1]["id"].startswith("custom/1__DATA__")

    dom = _dump_dom(Path(report.html), tmp_path / "profile")
    assert re.search(r"<title>mammoth-math evaluation report</title>", dom), "a payload changed the title"
    assert 'id="pwned"' not in dom, "a payload ran and added its element"
    assert not re.search(r"<(img|svg)[^>]*\bon(error|load)=", dom), "a payload's element entered the page"
    rows = re.findall(r'<tr class="row" data-key="([^"]*)"', dom)
    assert len(rows) == N  # the page's own script ran to the end and listed every problem
    assert 'problem(s)' in dom and f">{N} problem(s)<" in dom
