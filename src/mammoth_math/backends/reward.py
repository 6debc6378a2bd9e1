"""Outcome reward models behind one call: (question, solution) pairs in, one score each out (higher is better).

``make_reward_model(PATH|URL)``: a folder or hub id is a local sequence classifier through transformers (``hf``);
an ``http(s)://`` URL is a served one: vLLM's ``/classify`` (a ``*ForSequenceClassification`` model, what
``train --method rm`` saves) or, with ``endpoint="pooling"``, ``/pooling`` (a ``--task reward`` model; the last
value it returns is the score). Both read ``prompts.reward_input``, the text ``train --method rm`` trains on; locally with the tokenizer's EOS
appended, as TRL's ``RewardTrainer`` appends it (a served model gets the text as it is).
Score: a one-label head's logit (a served one-label classifier answers its sigmoid, which orders the same way);
with several labels, the probability of the last ("correct"). With ``cache_dir``, scores are stored like
completions (``backends.cache``'s store, keyed by model identity and input), so a re-run scores nothing twice.
A served score that still fails after retries is None: never stored, asked again by the next run.
``kind="prm"``: a local process reward model (a token classifier, what ``train --method prm`` saves) scores each
step instead: one score per step, read at the step's last token (``prompts.prm_tokens``), steps split at the
separator it was trained with (its config's ``step_separator``, else Math-Shepherd's blank line).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mammoth_math.backends.base import library_versions
from mammoth_math.prompts import STEP_SEPARATOR, prm_tokens, reward_input, split_steps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreRequest:
    question: str
    solution: str  # the model's whole answer text (a PoT answer's program)


Score = float | list[float] | None  # an outcome score, a process model's per-step scores, or none


class RewardModel(Protocol):
    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        """Scores in request order; None where a served model failed after its retries."""
        ...

    def info(self) -> dict[str, Any]:
        ...

    def close(self) -> None:
        ...


class HFRewardModel:
    """A local ``AutoModelForSequenceClassification``, scored in batches on CPU or the first GPU."""

    def __init__(self, model: str, batch_size: int = 8, max_length: int = 2048, device: str | None = None):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.model_name, self.batch_size, self.max_length = model, batch_size, max_length
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = AutoModelForSequenceClassification.from_pretrained(model).to(self.device).eval()
        self.model.config.pad_token_id = self.tokenizer.pad_token_id  # the head reads the last non-pad token

    def score(self, requests: Sequence[ScoreRequest]) -> list[float | None]:
        import torch

        eos = self.tokenizer.eos_token or ""  # TRL's RewardTrainer trains on texts ending in it
        scores: list[float | None] = []
        for start in range(0, len(requests), self.batch_size):
            texts = [reward_input(r.question, r.solution) for r in requests[start:start + self.batch_size]]
            texts = [t if t.endswith(eos) else t + eos for t in texts]
            batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                                   max_length=self.max_length).to(self.device)
            with torch.no_grad():
                logits = self.model(**batch).logits.float()
            values = logits[:, 0] if logits.shape[1] == 1 else logits.softmax(-1)[:, -1]
            scores.extend(float(v) for v in values)
        return scores

    def info(self) -> dict[str, Any]:
        return {"reward_backend": "hf", "model": self.model_name, "device": self.device,
                "versions": library_versions()}

    def close(self) -> None:
        """Nothing to release but memory."""


class HFProcessRewardModel:
    """A local ``AutoModelForTokenClassification`` scoring each step: the probability of its last label
    ("good") at the step's end token (a one-label head: that logit)."""

    def __init__(self, model: str, max_length: int = 2048, device: str | None = None):
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        self.model_name, self.max_length = model, max_length
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = AutoModelForTokenClassification.from_pretrained(model).to(self.device).eval()
        self.separator = getattr(self.model.config, "step_separator", None) or STEP_SEPARATOR

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        import torch

        scores: list[Score] = []
        for request in requests:  # one solution at a time: no padding to get wrong, and PRM runs are small
            ids, ends = prm_tokens(self.tokenizer, request.question, split_steps(request.solution, self.separator),
                                   self.separator)
            ends = [e for e in ends if e < self.max_length]  # steps past the window stay unscored
            with torch.no_grad():
                logits = self.model(torch.tensor([ids[:self.max_length]], device=self.device)).logits[0].float()
            values = logits[:, 0] if logits.shape[1] == 1 else logits.softmax(-1)[:, -1]
            scores.append([float(values[e]) for e in ends])
        return scores

    def info(self) -> dict[str, Any]:
        return {"reward_backend": "hf/prm", "model": self.model_name, "device": self.device,
                "step_separator": self.separator, "versions": library_versions()}

    def close(self) -> None:
        """Nothing to release but memory."""


class ServedRewardModel:
    """A reward model on an OpenAI-compatible server (vLLM), through the ``openai`` backend's retrying client."""

    def __init__(self, url: str, model: str | None = None, endpoint: Literal["classify", "pooling"] = "classify",
                 **options: Any):
        import httpx

        from mammoth_math.backends.openai_api import OpenAIBackend, OpenAIOptions

        root = url.rstrip("/").removesuffix("/v1")  # vLLM serves /classify and /pooling beside /v1
        if model is None:  # the one model the server serves
            served = httpx.get(f"{root}/v1/models", timeout=30.0).json().get("data") or []
            if not served:
                raise ValueError(f"{root}/v1/models lists no model: give the reward model's name")
            model = str(served[0]["id"])
        self.endpoint = endpoint
        self.client = OpenAIBackend(model, OpenAIOptions(**{**options, "base_url": root}))

    def score(self, requests: Sequence[ScoreRequest]) -> list[float | None]:
        from mammoth_math.backends.openai_api import RequestFailed

        scores: list[float | None] = []
        for request in requests:  # one input per call: a failure costs one score, and retries stay small
            body = {"model": self.client.model, "input": reward_input(request.question, request.solution)}
            try:
                data = self.client.post_json(f"/{self.endpoint}", body)
                scores.append(_served_score(data, self.endpoint))
            except (RequestFailed, KeyError, IndexError, TypeError, ValueError) as e:
                log.warning("reward model: no score (%s)", e)
                scores.append(None)
        return scores

    def info(self) -> dict[str, Any]:
        return {"reward_backend": f"served/{self.endpoint}", "model": self.client.model,
                "base_urls": self.client.base_urls}

    def close(self) -> None:
        self.client.close()


def _served_score(data: dict[str, Any], endpoint: str) -> float:
    item = data["data"][0]
    if endpoint == "classify":
        probs = item["probs"]
        return float(probs[0] if len(probs) == 1 else probs[-1])
    values = item["data"]
    while isinstance(values, list):  # per-token rewards, or one score in a list: the last is the solution's
        values = values[-1]
    return float(values)


class CachingRewardModel:
    """Any :class:`RewardModel` behind the backends' on-disk store: known inputs are not scored again."""

    def __init__(self, inner: RewardModel, folder: str):
        from mammoth_math.backends.cache import ResponseStore, model_identity

        self.inner = inner
        self.store = ResponseStore(folder)
        self.identity = model_identity(inner.info())

    def _key(self, request: ScoreRequest) -> str:
        body = {"identity": self.identity, "reward_input": reward_input(request.question, request.solution)}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    def score(self, requests: Sequence[ScoreRequest]) -> list[Score]:
        keys = [self._key(r) for r in requests]
        found: list[Score] = [(e or {}).get("reward") for e in map(self.store.entry, keys)]
        missing = [i for i, v in enumerate(found) if v is None]
        fresh = self.inner.score([requests[i] for i in missing]) if missing else []
        for i, value in zip(missing, fresh):
            found[i] = value
        self.store.put_entries([{"key": keys[i], "reward": v} for i, v in zip(missing, fresh) if v is not None])
        return found

    def info(self) -> dict[str, Any]:
        return self.inner.info() | {"cache": str(self.store.folder)}

    def close(self) -> None:
        self.store.close()
        self.inner.close()


def make_reward_model(spec: str, cache_dir: str | None = None, kind: Literal["orm", "prm"] = "orm",
                      **options: Any) -> RewardModel:
    """A served reward model for an ``http(s)://`` URL, else a local one (``kind="prm"``: a local process reward
    model); cached in ``cache_dir`` when given."""
    served = spec.startswith(("http://", "https://"))
    if kind == "prm" and served:
        raise ValueError(f"{spec}: a process reward model is scored locally (a folder or hub id), not served")
    model: RewardModel = (HFProcessRewardModel(spec, **options) if kind == "prm"
                          else ServedRewardModel(spec, **options) if served else HFRewardModel(spec, **options))
    return model if cache_dir is None else CachingRewardModel(model, cache_dir)
