"""The one contract every backend implements: a list of generation requests in, completions out.

Backends batch, retry and parallelise as they like behind it; evaluation never asks which one it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str | tuple[dict[str, str], ...]  # plain text, or chat messages for a chat endpoint/template
    max_new_tokens: int = 512
    temperature: float = 0.0  # 0 -> greedy
    top_p: float = 1.0
    n: int = 1  # samples per prompt (self-consistency)
    stop: tuple[str, ...] = ()
    seed: int | None = None


@dataclass
class Completion:
    texts: list[str]  # n generations, stop strings removed
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None  # set when the backend failed after its retries: never graded as wrong
    finish_reasons: list[str] = field(default_factory=list)


class Backend(Protocol):
    name: str

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        """Completions in request order."""
        ...

    def info(self) -> dict[str, Any]:
        """Backend, model, library versions and settings: written into every results file."""
        ...
