"""Math-Shepherd step labels: k completions from each step prefix through a scripted backend, a step good when
one of them reaches the gold, the last step labelled by the sample's verdict; resumable, PoT left out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from mammoth_math.backends import Completion, GenerationRequest
from mammoth_math.data.step_labels import StepLabelConfig, label_steps
from mammoth_math.files import InputError


class PrefixBackend:
    """Continues a prefix: the k-th completion is right (answer 5) only when no step so far says "oops"
    and k >= the number of steps written (so a step's label depends on k and on the steps before it)."""

    name = "prefix"

    def __init__(self, fail_on: str | None = None) -> None:
        self.requests: list[GenerationRequest] = []
        self.fail_on = fail_on

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.requests.extend(requests)
        out = []
        for r in requests:
            if self.fail_on and self.fail_on in r.prompt:
                out.append(Completion([""] * r.n, error="HTTP 503", finish_reasons=["error"] * r.n))
                continue
            written = r.prompt.split("### Response:")[-1].count("\n\n")
            good = "oops" not in r.prompt
            out.append(Completion([f" The answer is {5 if good and i + 1 >= written else 9}." for i in range(r.n)],
                                  finish_reasons=["stop"] * r.n))
        return out

    def info(self) -> dict:
        return {"backend": self.name}

    def chat_template(self) -> None:
        return None

    def close(self) -> None:
        pass


def _record(id_: str, texts: list[tuple[str, bool, str]]) -> dict:
    return {"id": id_, "question": f"Q{id_}: 2 + 3?", "gold": "5", "kind": "number", "options": None,
            "prompt": f"### Instruction:\nQ{id_}\n\n### Response:",
            "attempts": [{"text": t, "correct": ok, "path": path, "sample": i} for i, (t, ok, path) in enumerate(texts)]}


def _brute_force(steps: list[str], correct: bool, k: int) -> list[bool]:
    """What the labels must be: step i (1-based, not last) is good iff no "oops" so far and some of the k
    completions (the i-th or later) answers 5; the last step is the sample's verdict."""
    return [all("oops" not in s for s in steps[:i]) and k >= i for i in range(1, len(steps))] + [correct]


@pytest.fixture
def records(tmp_path: Path) -> Path:
    rows = [_record("a", [("Add them.\n\nThat is 5.\n\nThe answer is 5.", True, "cot"),
                          ("Add them.\n\noops, 2 * 3.\n\nThe answer is 6.", False, "cot"),
                          ("print(2 + 3)", True, "pot")]),
            _record("b", [("One step: 5.", True, "cot"),
                          ("Take 2.\n\nTake 3.\n\nTake 4.\n\nThe answer is 9.", False, "cot")]),
            {**_record("c", []), "error": "HTTP 500"}]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("k", [1, 3])
def test_labels_are_math_shepherd_hard_estimates(records: Path, tmp_path: Path, k: int) -> None:
    backend = PrefixBackend()
    out = tmp_path / "labels.jsonl"
    assert label_steps(records, backend, out, StepLabelConfig(k=k)) == 4  # the pot sample and the error left out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    originals = {(r["id"], a["sample"]): a for r in map(json.loads, records.read_text().splitlines())
                 for a in r["attempts"]}
    for row in rows:
        attempt = originals[(row["id"], row["sample"])]
        assert row["completions"] == [s for s in attempt["text"].split("\n\n")]
        assert row["labels"] == _brute_force(row["completions"], attempt["correct"], k)
        assert row["prompt"].startswith(f"Q{row['id']}") and row["separator"] == "\n\n"
    assert {len(r.prompt.split("### Response:")[-1].split("\n\n")) for r in backend.requests} >= {2, 3}
    assert all(r.n == k for r in backend.requests)
    assert len(backend.requests) == 2 + 2 + 0 + 3  # steps less the last, per cot sample


def test_a_rerun_labels_only_what_is_missing(records: Path, tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    assert label_steps(records, PrefixBackend(fail_on="Take 3."), out) == 3  # sample b/1 hit a backend error
    again = PrefixBackend()
    assert label_steps(records, again, out) == 1
    assert len(again.requests) == 3 and all("Take 2." in r.prompt for r in again.requests)
    keys = [(r["id"], r["sample"]) for r in map(json.loads, out.read_text().splitlines())]
    assert sorted(keys) == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert label_steps(records, PrefixBackend(), out) == 0


def test_a_record_missing_a_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "q", "kind": "number", "prompt": "p", "attempts": []}) + "\n")
    with pytest.raises(InputError, match="bad.jsonl:1.*gold"):
        label_steps(path, PrefixBackend(), tmp_path / "out.jsonl")
