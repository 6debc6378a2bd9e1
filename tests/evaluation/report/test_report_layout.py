"""What a user sees: a degenerate answer ("1111...") is capped so the verdict column stays on screen at 800 px,
the page and chart name the data set and suite they were given, and the chart shows one group per family.

The records come from a real loopback server through the harness; the page is laid out by headless Chromium
(a copy of it gets a script that measures the table and writes the result into the DOM it dumps).
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
from mammoth_math.evaluation import EvalConfig, Naming, build_report, evaluate, read_problem_records
from mammoth_math.evaluation.report.chart import chart_groups

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ONES = "1" * 400
MEASURE = """<script>
const rows = [...document.querySelectorAll('#problems tr.row')].map(tr => {
  const cells = tr.querySelectorAll('td');
  return {right: cells[5].getBoundingClientRect().right, answer: cells[3].textContent,
          title: cells[3].getAttribute('title')};
});
const out = document.createElement('pre'); out.id = 'measured';
out.textContent = JSON.stringify({width: document.documentElement.clientWidth, rows});
document.body.append(out);
</script>"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    data, out = root / "data", root / "out"
    data.mkdir()
    rows = [{"id": str(i), "question": f"What is {i} + 1?", "gold": str(i + 1), "kind": "number",
             "family": ("arithmetic", "rates")[i % 2]} for i in range(4)]
    (data / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with fault_server([], text=lambda body: f"The answer is {ONES if '2 + 1' in str(body) else 2}.") as server:
        backend = make_backend("openai", "m", base_url=server.base_url)
        for mode in ("cot", "pot"):
            evaluate(EvalConfig(model="m", backend="openai", datasets=["custom"], output_dir=str(out), mode=mode,
                                data_dir=str(data), max_new_tokens=8, progress=False, program_timeout=2.0), backend)
        backend.close()
    naming = Naming("my quickstart", {"custom": "my test set"}, "my suite")
    return build_report(out, naming=naming), out


def test_the_page_names_its_set_and_suite_and_the_chart_groups_families(report) -> None:
    built, out = report
    page = Path(built.html).read_text(encoding="utf-8")
    assert "<title>my quickstart</title>" in page and "<h1>my quickstart</h1>" in page
    assert "<h2>suite: my suite</h2>" in page and "suite: other" not in page
    assert "<td>my test set</td>" in page and "my test set: accuracy (%) by family" in page
    assert json.loads((out / "results.json").read_text())["datasets"] == ["custom"]  # keys stay
    groups = chart_groups(built.table, built.breakdown, built.runs, {"custom": "my test set"})
    assert [label for label, _ in groups] == ["arithmetic", "rates", "all"]
    assert groups[1][1] == {"cot": 0.5, "pot": 0.0} and groups[2][1]["cot"] == built.table[0]["cot"] == 0.25


@pytest.mark.parametrize("width", [800, 1400])
def test_a_degenerate_answer_is_capped_and_the_verdict_stays_on_screen(report, width, tmp_path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    built, _ = report
    records = read_problem_records(Path(built.html).parent / "cot" / "custom.jsonl")
    assert any(r.answer == ONES for r in records)  # the degenerate answer was really recorded
    page = tmp_path / "measured.html"
    page.write_text(Path(built.html).read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"),
                    encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},1000",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, done.stderr[-2000:]
    measured = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert len(measured["rows"]) == 2 * len(records)
    for row in measured["rows"]:
        assert row["right"] <= measured["width"], row  # the verdict is on screen
    capped = [row for row in measured["rows"] if row["title"] == ONES]
    assert capped and all(row["answer"] == ONES[:40] + "…" for row in capped)
