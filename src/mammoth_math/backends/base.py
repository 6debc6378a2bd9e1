"""The one contract every backend implements: a list of generation requests in, completions out.

Backends batch, retry and parallelise as they like behind it; evaluation never asks which one it holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mammoth_math.files import writable


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
    """A request's n generations. Model text enters the package here: a lone surrogate (a server's JSON may say
    ``"\\ud800"``) becomes U+FFFD, so every record, cache line, export and page can encode it as UTF-8."""

    texts: list[str]  # n generations, stop strings removed
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None  # set when the backend failed after its retries: never graded as wrong
    finish_reasons: list[str] = field(default_factory=list)  # per sample: "stop", "length" or "error"
    sample_tokens: list[int] = field(default_factory=list)  # output tokens per sample; empty when unknown

    def __post_init__(self) -> None:
        self.texts = [writable(text) for text in self.texts]
        self.error = None if self.error is None else writable(self.error)  # may quote the server's reply


class Backend(Protocol):
    name: str

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        """Completions in request order."""
        ...

    def info(self) -> dict[str, Any]:
        """Backend, model, library versions and settings: written into every results file."""
        ...

    def chat_template(self) -> str | None:
        """The model's chat template (None when it has none): chat prompts need one."""
        ...

    def close(self) -> None:
        """Release what the backend holds (connections, a model); the backend is not used after."""
        ...


def completions_as_done(backend: Backend, requests: Sequence[GenerationRequest],
                        progress: bool = False) -> Iterator[tuple[int, Completion]]:
    """``(index, completion)`` as each request finishes. A backend that answers requests one at a time (a server)
    says so with a ``generate_each`` method of the same signature; any other yields its batch when it is done."""
    each = getattr(backend, "generate_each", None)
    if each is not None:
        yield from each(requests, progress)
    else:
        yield from enumerate(backend.generate(requests, progress))


def folder_chat_template(model: str) -> str | None:
    """The chat template saved in a model folder (``chat_template.jinja/.json`` or ``tokenizer_config.json``)."""
    import json
    from pathlib import Path

    folder = Path(model)
    if not folder.is_dir():
        return None
    if (folder / "chat_template.jinja").exists():
        return (folder / "chat_template.jinja").read_text(encoding="utf-8")
    if (folder / "chat_template.json").exists():
        return json.loads((folder / "chat_template.json").read_text(encoding="utf-8")).get("chat_template")
    config = folder / "tokenizer_config.json"
    return json.loads(config.read_text(encoding="utf-8")).get("chat_template") if config.exists() else None


def continues(prompt: str | tuple[dict[str, str], ...]) -> bool:
    """Chat messages ending in an assistant message: the model goes on with that message (a tool-integrated
    answer resumed after a tool's output), it does not start a new turn."""
    return not isinstance(prompt, str) and bool(prompt) and prompt[-1].get("role") == "assistant"


def render_chat(tokenizer: Any, prompt: str | tuple[dict[str, str], ...]) -> str:
    """The text a local model is given: plain text as it is; messages through the tokenizer's chat template,
    opening the assistant's turn, or, when the messages end with a partial assistant answer, continuing it."""
    if isinstance(prompt, str):
        return prompt
    more = continues(prompt)
    return tokenizer.apply_chat_template(list(prompt), tokenize=False, add_generation_prompt=not more,
                                         continue_final_message=more)


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the first occurrence of any stop string (removed), and whether one was found.

    Every backend cuts here, whatever its engine did, so all return the same text for the same tokens.
    """
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def invalid_reason(request: GenerationRequest) -> str | None:
    """Why a request cannot be served (returned as ``Completion.error``, never raised), or None."""
    if request.max_new_tokens < 1:
        return f"max_new_tokens must be >= 1, got {request.max_new_tokens}"
    if request.n < 1:
        return f"n must be >= 1, got {request.n}"
    if request.temperature < 0 or not 0 < request.top_p <= 1:
        return f"invalid sampling settings: temperature={request.temperature}, top_p={request.top_p}"
    return None


def error_completion(request: GenerationRequest, message: str, seconds: float = 0.0) -> Completion:
    return Completion(texts=[""] * request.n, seconds=seconds, error=message, finish_reasons=["error"] * request.n)


def sampling_settings(request: GenerationRequest) -> dict[str, Any]:
    """The sampling part of a request, as recorded in results files."""
    return {"max_new_tokens": request.max_new_tokens, "temperature": request.temperature, "top_p": request.top_p,
            "n": request.n, "stop": list(request.stop), "seed": request.seed}


class SamplingLog:
    """The distinct sampling settings a backend has served, for ``info()``."""

    def __init__(self) -> None:
        self._seen: list[dict[str, Any]] = []

    def add(self, requests: Sequence[GenerationRequest]) -> None:
        for request in requests:
            settings = sampling_settings(request)
            if settings not in self._seen:
                self._seen.append(settings)

    def settings(self) -> list[dict[str, Any]]:
        return [dict(s) for s in self._seen]


def library_versions(*names: str) -> dict[str, str | None]:
    """Installed versions of ``names`` (None when absent), read from metadata without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in ("mammoth-math", "torch", "transformers", "vllm", *names):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found
