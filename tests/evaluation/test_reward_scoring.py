"""eval --reward-model: every sample scored by a tiny sequence classifier (hf) or a served one (/classify on
loopback), scores kept in the records and the cache, a finished run scored without generating, resumable."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.backends import VaryingBackend
from helpers.sampled_runs import sampled_config
from helpers.servers import JsonHandler

from mammoth_math.backends.reward import HFRewardModel, ScoreRequest, make_reward_model
from mammoth_math.evaluation import evaluate, read_problem_records
from mammoth_math.prompts import reward_input


@pytest.fixture(scope="module")
def rm_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny Llama with a fresh one-label head: a sequence classifier built from config, no training."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    path = tmp_path_factory.mktemp("tiny-rm")
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(path)
    return path


def _rewards(path: Path) -> list[float | None]:
    return [a.reward for r in read_problem_records(path) for a in r.attempts]


def test_every_sample_is_scored_as_the_model_scores_it(rm_dir: Path, tmp_path: Path) -> None:
    evaluate(sampled_config(tmp_path, reward_model=str(rm_dir)), backend=VaryingBackend())
    path = tmp_path / "out" / "cot-sc" / "custom.jsonl"
    records = read_problem_records(path)
    model = HFRewardModel(str(rm_dir))
    direct = model.score([ScoreRequest(r.question, a.text) for r in records for a in r.attempts])
    assert _rewards(path) == pytest.approx(direct, abs=1e-5)
    # the text TRL's RewardTrainer trains on: reward_input with the EOS appended
    text = reward_input(records[0].question, records[0].attempts[0].text) + model.tokenizer.eos_token
    logit = model.model(**model.tokenizer(text, return_tensors="pt")).logits[0, 0].item()
    assert direct[0] == pytest.approx(logit, abs=1e-4)
    assert len(set(direct)) > 1  # the samples differ, and so do their scores
    meta = json.loads((tmp_path / "out" / "cot-sc" / "run.json").read_text())
    assert meta["reward_model"] == str(rm_dir)
    assert list((tmp_path / "cache" / "rewards").glob("*.jsonl"))


def test_a_finished_run_is_scored_without_generating_and_keeps_one_reward_model(rm_dir: Path, tmp_path: Path) -> None:
    evaluate(sampled_config(tmp_path), backend=VaryingBackend())
    path = tmp_path / "out" / "cot-sc" / "custom.jsonl"
    assert set(_rewards(path)) == {None}
    again = VaryingBackend()
    evaluate(sampled_config(tmp_path, reward_model=str(rm_dir)), backend=again)
    assert again.requests == [] and None not in _rewards(path)
    assert len(path.read_text().splitlines()) == 3  # compacted: one line per problem
    with pytest.raises(ValueError, match="scored by reward model"):
        evaluate(sampled_config(tmp_path, reward_model=str(tmp_path / "other-rm")), backend=VaryingBackend())


def test_scores_come_from_the_cache_on_a_rerun(rm_dir: Path, tmp_path: Path) -> None:
    cached = make_reward_model(str(rm_dir), str(tmp_path / "cache"))
    requests = [ScoreRequest("What is 1 + 1?", f"It is {i}.") for i in range(4)]
    first = cached.score(requests)
    cached.close()
    reopened = make_reward_model(str(rm_dir), str(tmp_path / "cache"))
    reopened.inner.score = lambda _: pytest.fail("a cached input was scored again")  # type: ignore[union-attr]
    assert reopened.score(requests) == first


@pytest.fixture
def classify_server(rm_dir: Path) -> Iterator[str]:
    """A loopback server answering vLLM's /v1/models and /classify (a one-label head answers its sigmoid) with
    the tiny classifier; a body without ``input`` gets 400."""
    model = HFRewardModel(str(rm_dir))

    class Handler(JsonHandler):
        def do_GET(self) -> None:
            self.send_json(200, {"data": [{"id": "tiny-rm"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/classify" or "input" not in body or body.get("model") != "tiny-rm":
                self.send_json(400, {"error": "bad request"})
                return
            logit = model.model(**model.tokenizer(body["input"], return_tensors="pt")).logits[0, 0].item()
            self.send_json(200, {"data": [{"index": 0, "label": "LABEL_0", "probs": [1 / (1 + math.exp(-logit))],
                                           "num_classes": 1}]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def test_a_served_classifier_scores_through_classify(rm_dir: Path, classify_server: str) -> None:
    requests = [ScoreRequest("What is 2 + 2?", f"The answer is {i}.") for i in range(3)]
    served = make_reward_model(classify_server)
    local = HFRewardModel(str(rm_dir))
    logits = [local.model(**local.tokenizer(reward_input(r.question, r.solution), return_tensors="pt")).logits[0, 0]
              .item() for r in requests]  # a served model reads the text as it is, no EOS appended
    assert served.score(requests) == pytest.approx([1 / (1 + math.exp(-x)) for x in logits], abs=1e-6)
    assert served.info()["model"] == "tiny-rm"
    served.close()
