"""Backends for tests whose subject is not the model: one that answers every prompt with a script, and a
wrapper that records what a real backend was asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mammoth_math.backends import Completion, GenerationRequest


class ScriptedBackend:
    """Answers every prompt with ``reply``; records the requests (no model: the strategy is under test)."""

    name = "scripted"

    def __init__(self, reply: str = ""):
        self.reply, self.requests = reply, []

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.requests.extend(requests)
        return [Completion([self.reply] * r.n, prompt_tokens=3, completion_tokens=2, finish_reasons=["stop"] * r.n)
                for r in requests]

    def info(self) -> dict[str, Any]:
        return {"backend": self.name}

    def chat_template(self) -> str | None:
        return None

    def close(self) -> None:
        pass


class CountingBackend:
    """A real backend, wrapped to record every ``generate`` call (the requests of each batch)."""

    def __init__(self, backend: Any):
        self.backend, self.name, self.calls = backend, backend.name, []

    def generate(self, requests, progress: bool = False):
        self.calls.append(list(requests))
        return self.backend.generate(requests, progress)

    def info(self) -> dict[str, Any]:
        return self.backend.info()

    def chat_template(self) -> str | None:
        return self.backend.chat_template()

    def close(self) -> None:
        self.backend.close()


class VaryingBackend:
    """Sample i of every request answers ``i + 3`` in a sentence (so scores differ between samples)."""

    name = "varying"

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.requests.extend(requests)
        return [Completion([f"We add them up. The answer is {i + 3}." for i in range(r.n)],
                           finish_reasons=["stop"] * r.n) for r in requests]

    def info(self) -> dict:
        return {"backend": self.name, "model": "varying"}

    def chat_template(self) -> None:
        return None

    def close(self) -> None:
        pass
