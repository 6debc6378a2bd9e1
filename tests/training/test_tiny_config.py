"""``configs/train/tiny-cpu.yaml`` fits the data the README builds for it (issue 24, item 9): on rows of the real
training sets, exported as ``data build`` exports them, it keeps nearly every row and plans a CPU-sized run
(it used to drop 79% of the full build as longer than 256 tokens and plan 2,373 steps)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from mammoth_math.data import load_config as load_build
from mammoth_math.data.build import read_sources
from mammoth_math.data.export import to_row
from mammoth_math.training import dry_run, load_config

REPO = Path(__file__).resolve().parents[2]


def test_tiny_config_keeps_the_real_rows_and_plans_a_short_run(train_dir, tmp_path):
    build = load_build(REPO / "configs" / "data" / "mathinstruct.yaml", {"train_dir": str(train_dir)})
    # The build's sources, 150 records each, as rows (verification, which only removes rows, is skipped).
    examples, _ = read_sources(replace(build, sources=tuple(replace(s, limit=150) for s in build.sources)))
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(to_row(e)) + "\n" for e in examples))
    report = dry_run(load_config(REPO / "configs" / "train" / "tiny-cpu.yaml", [f"data={data}"]))
    assert report.stats is not None and report.stats.rows == len(examples) > 500
    assert report.stats.kept / report.stats.rows >= 0.9, report.stats
    assert report.plan.total_steps <= 300
