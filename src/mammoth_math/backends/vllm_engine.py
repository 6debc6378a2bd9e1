"""The ``vllm`` backend: in-process vLLM (``pip install 'mammoth-math[vllm]'``), tensor and data parallel on request.

``data_parallel_size`` d runs d engine replicas (each over ``tensor_parallel_size`` GPUs), so one process uses
d x tp GPUs of a node; both go to vLLM's engine arguments unchanged (:func:`engine_args`).

vLLM schedules the whole list itself (continuous batching), so all prompts go in one call; a
batch that raises (a prompt longer than the context, say) is split and retried per request, so
only the bad ones come back as errors. Stop strings are cut again here, as in every backend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from mammoth_math.backends.base import (
    Completion,
    GenerationRequest,
    SamplingLog,
    cut_at_stop,
    error_completion,
    invalid_reason,
    library_versions,
    render_chat,
)
from mammoth_math.backends.options import option, option_values
from mammoth_math.files import COUNT

log = logging.getLogger(__name__)


def engine_args(model: str, options: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``vllm.LLM``: our options as vLLM names them, unset ones left to vLLM's defaults."""
    for key in ("tensor_parallel_size", "data_parallel_size"):
        if options.get(key, 1) < 1:
            raise ValueError(f"vllm: {key} must be >= 1, got {options[key]}")
    return {"model": model, **{k: v for k, v in options.items() if v is not None}}


@dataclass(frozen=True)
class VLLMOptions:
    """The vllm backend's options, each a ``vllm.LLM`` argument of the same name (``backend_options`` keys;
    ``eval``/``probe`` flags where marked); keys not declared here also go to ``vllm.LLM``."""

    passes_extra: ClassVar[bool] = True
    tensor_parallel_size: int = option(1, "GPUs per model replica", flag=True, bound=COUNT)
    data_parallel_size: int = option(1, "model replicas, GPUs = dp x tp", flag=True, bound=COUNT)
    dtype: str = option("auto", "weights' dtype")
    seed: int = option(0, "the engine's seed")
    gpu_memory_utilization: float = option(0.9, "share of each GPU's memory for weights and KV cache")
    max_model_len: int | None = option(None, "context length (default: the model's)")


class VLLMBackend:
    """``vllm.LLM`` for ``model`` (a path or hub id); ``llm_kwargs`` (keys :class:`VLLMOptions` lacks) go to
    ``vllm.LLM`` too."""

    name = "vllm"

    def __init__(self, model: str, options: VLLMOptions = VLLMOptions(), **llm_kwargs: Any):
        from vllm import LLM

        self.model_name = model
        self.options = {**option_values(options), **llm_kwargs}
        self.llm = LLM(**engine_args(model, self.options))
        self.tokenizer = self.llm.get_tokenizer()
        self._sampling = SamplingLog()

    def chat_template(self) -> str | None:
        return getattr(self.tokenizer, "chat_template", None) or None

    def close(self) -> None:
        """Nothing to release but memory, which goes with the object."""

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_name, **{k: v for k, v in self.options.items()},
                "versions": library_versions(), "sampling": self._sampling.settings()}

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self._sampling.add(requests)
        results: list[Completion | None] = [None] * len(requests)
        valid = []
        for i, request in enumerate(requests):
            reason = invalid_reason(request)
            if reason:
                results[i] = error_completion(request, reason)
            else:
                valid.append(i)
        for i, completion in zip(valid, self._run([requests[i] for i in valid], progress)):
            results[i] = completion
        return [r for r in results if r is not None]

    def _run(self, requests: list[GenerationRequest], progress: bool) -> list[Completion]:
        from vllm import SamplingParams

        if not requests:
            return []
        prompts = [render_chat(self.tokenizer, r.prompt) for r in requests]
        params = [SamplingParams(n=r.n, temperature=r.temperature, top_p=r.top_p, max_tokens=r.max_new_tokens,
                                 stop=list(r.stop) or None, seed=r.seed) for r in requests]
        started = time.perf_counter()
        try:
            outputs = self.llm.generate(prompts, params, use_tqdm=progress)
        except Exception as e:  # isolate the request(s) that broke the batch
            if len(requests) == 1:
                return [error_completion(requests[0], f"{type(e).__name__}: {e}")]
            log.warning("vLLM batch of %d failed (%s); retrying one by one", len(requests), e)
            return [c for r in requests for c in self._run([r], progress=False)]
        seconds = (time.perf_counter() - started) / len(requests)
        completions = []
        for request, output in zip(requests, outputs):
            cut = [cut_at_stop(o.text, request.stop) for o in output.outputs]
            completions.append(Completion(
                texts=[text for text, _ in cut],
                prompt_tokens=len(output.prompt_token_ids or []),
                completion_tokens=sum(len(o.token_ids) for o in output.outputs),
                seconds=seconds,
                finish_reasons=["stop" if stopped else str(o.finish_reason)
                                for (_, stopped), o in zip(cut, output.outputs)],
                sample_tokens=[len(o.token_ids) for o in output.outputs],
            ))
        return completions
