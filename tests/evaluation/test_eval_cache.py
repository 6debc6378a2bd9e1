"""The response cache through ``mammoth-math eval``: on by default, shared by ``--cache-dir``, off by ``--no-cache``;
a second identical run asks the server nothing, a changed temperature or model asks again."""

from __future__ import annotations

import json

from helpers.servers import fault_server

from mammoth_math.cli import main


def _eval(server, eval_dir, out, *extra: str) -> None:
    assert main(["eval", "--model", "fault", "--backend", "openai", "--base-url", server.base_url, "--datasets", "gsm8k",
                 "--mode", "cot", "--data-dir", str(eval_dir), "--limit", "3", "--max-new-tokens", "8",
                 "--output-dir", str(out), *extra]) == 0


def test_eval_reads_the_cache_and_misses_on_any_change(eval_dir, tmp_path):
    cache = str(tmp_path / "cache")
    with fault_server([], text="The answer is 42.") as server:
        _eval(server, eval_dir, tmp_path / "a", "--cache-dir", cache)
        assert len(server.requests) == 3
        _eval(server, eval_dir, tmp_path / "b", "--cache-dir", cache)  # a fresh run folder, the same requests
        assert len(server.requests) == 3
        _eval(server, eval_dir, tmp_path / "c", "--cache-dir", cache, "--temperature", "0.5")
        assert len(server.requests) == 6
        _eval(server, eval_dir, tmp_path / "d", "--cache-dir", cache, "--no-cache")
        assert len(server.requests) == 9
    same = [json.loads(line) for line in (tmp_path / "b" / "cot" / "gsm8k.jsonl").read_text().splitlines()]
    first = [json.loads(line) for line in (tmp_path / "a" / "cot" / "gsm8k.jsonl").read_text().splitlines()]
    assert [r["attempts"] for r in same] == [r["attempts"] for r in first]
    meta = json.loads((tmp_path / "b" / "cot" / "run.json").read_text())
    assert meta["backend"]["cache"] == {"folder": cache, "hits": 3, "misses": 0}


def test_the_default_cache_lives_in_the_output_folder(eval_dir, tmp_path):
    with fault_server([], text="The answer is 42.") as server:
        _eval(server, eval_dir, tmp_path)
    assert list((tmp_path / "cache").glob("*.jsonl"))
