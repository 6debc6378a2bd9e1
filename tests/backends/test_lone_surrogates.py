"""A lone surrogate from a server (its JSON says ``"\\ud800"``) is made writable where model text enters.

The response cache, the run's records and a data export all write it; before, the cache's append raised
``UnicodeEncodeError`` and lost the batch. Text read from a data file can hold one too: every writer escapes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from helpers.servers import fault_server

from mammoth_math.backends import GenerationRequest, make_backend
from mammoth_math.data.examples import Example
from mammoth_math.data.export import export
from mammoth_math.files import JsonlAppender, iter_jsonl, write_json

REPLY = "x = 1\ud800\nprint(x)  # \udfff"  # the server's body carries these as JSON escapes


def test_a_server_reply_with_lone_surrogates_is_cached_and_served_from_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    request = GenerationRequest("What is 1?", max_new_tokens=8)
    with fault_server([], text=REPLY) as server:
        backend = make_backend("openai", "m", base_url=server.base_url, cache_dir=str(cache))
        [completion] = backend.generate([request])
        backend.close()
        assert completion.error is None and completion.texts == ["x = 1\ufffd\nprint(x)  # \ufffd"]
        [line] = [obj for path in cache.glob("*.jsonl") for _, obj in iter_jsonl(path)]
        assert line["texts"] == completion.texts
        again = make_backend("openai", "m", base_url=server.base_url, cache_dir=str(cache))
        assert again.generate([request])[0].texts == completion.texts and again.hits == 1
        again.close()
        assert len(server.requests) == 1  # the second backend was answered from the cache


def test_writers_escape_a_lone_surrogate_and_read_it_back(tmp_path: Path) -> None:
    text = json.loads('"a\\ud800b"')  # what json.loads of a data file's line gives
    with JsonlAppender(tmp_path / "records.jsonl") as out:
        out.write({"question": text})
    write_json(tmp_path / "run.json", {"question": text})
    assert [obj for _, obj in iter_jsonl(tmp_path / "records.jsonl")] == [{"question": text}]
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8")) == {"question": text}


def test_a_data_export_of_a_served_rationale_and_a_surrogate_question(tmp_path: Path) -> None:
    with fault_server([], text=REPLY) as server:
        backend = make_backend("openai", "m", base_url=server.base_url)
        [completion] = backend.generate([GenerationRequest("Write a program.", max_new_tokens=8)])
        backend.close()
    question = json.loads('"How many? \\udfff"')
    example = Example("distilled", "distilled/1", "pot", question, completion.texts[0], "1", "number")
    written = export([example], tmp_path / "out")
    [row] = [obj for _, obj in iter_jsonl(written["jsonl"])]
    assert row["output"] == completion.texts[0] and row["instruction"].startswith(question)
    assert json.loads(Path(written["alpaca"]).read_text(encoding="utf-8"))[0]["output"] == completion.texts[0]
    table = pq.read_table(written["parquet"]).to_pylist()
    assert table[0]["output"] == completion.texts[0] and table[0]["instruction"].startswith("How many? \ufffd")
    from datasets import load_from_disk

    assert load_from_disk(written["hf"])[0]["output"] == completion.texts[0]
