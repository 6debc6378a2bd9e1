"""Backends behind one contract: a list of :class:`GenerationRequest` in, :class:`Completion` s out, in order.

``BACKENDS`` maps a name to a factory; each factory imports its heavy library only when called.
``make_backend(..., cache_dir=D)`` wraps any of them in the on-disk response cache (``backends/cache.py``).
``BACKEND_OPTIONS`` maps a name to its options dataclass (defaults, help, which are command-line flags).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mammoth_math.backends.base import Backend, Completion, GenerationRequest
from mammoth_math.backends.hf import HFOptions
from mammoth_math.backends.openai_api import OpenAIOptions
from mammoth_math.backends.options import Options, split_options
from mammoth_math.backends.vllm_engine import VLLMOptions
from mammoth_math.hub import check_model


def _hf(model: Any, tokenizer: Any = None, **options: Any) -> Backend:
    if isinstance(model, str):  # a loaded model is used as it is
        check_model(model)  # before torch: a missing folder or an uncached hub id offline fails at once
    from mammoth_math.backends.hf import HFBackend

    return HFBackend(model, tokenizer, split_options(HFOptions, "hf", options)[0])


def _openai(model: Any, **options: Any) -> Backend:
    from mammoth_math.backends.openai_api import OpenAIBackend

    return OpenAIBackend(model, split_options(OpenAIOptions, "openai", options)[0])


def _vllm(model: Any, **options: Any) -> Backend:
    check_model(model)
    from mammoth_math.backends.vllm_engine import VLLMBackend

    known, extra = split_options(VLLMOptions, "vllm", options)
    return VLLMBackend(model, known, **extra)


BACKENDS: dict[str, Callable[..., Backend]] = {"hf": _hf, "openai": _openai, "vllm": _vllm}
BACKEND_OPTIONS: dict[str, type[Options]] = {"hf": HFOptions, "openai": OpenAIOptions, "vllm": VLLMOptions}


def make_backend(name: str, model: Any, cache_dir: str | None = None, **options: Any) -> Backend:
    """Build backend ``name`` for ``model`` (a path, a hub id, a served model name, or a loaded model).

    With ``cache_dir``, completions are stored there and a repeated request is answered from disk.
    """
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    backend = BACKENDS[name](model, **options)
    if cache_dir is None:
        return backend
    from mammoth_math.backends.cache import CachingBackend

    return CachingBackend(backend, cache_dir)


__all__ = ["BACKENDS", "BACKEND_OPTIONS", "Backend", "Completion", "GenerationRequest", "make_backend"]
