"""n samples of each prompt from one pass over it: the hf backend's path for ``n > 1`` sampled requests.

transformers' own way (``num_return_sequences``) copies every prompt n times, runs each copy through the model,
and then, at every new token, attends over n copies of the prompt's keys and values and concatenates the whole
cache anew. Here the prompt is run once (all but its last token) and its keys and values are kept once per
prompt; each sample's new keys and values are written in place into a buffer reserved for the generation, and
a decoding step attends to the prompt part as one matrix product for all n samples of a prompt
(:func:`shared_prompt_attention`; the idea of Hydragen, Juravsky et al. 2024), to its own part per sample.
Positions follow the left padding as ``generate`` computes them, so the output is the plain way's token for
token (checked in ``tests/backends/test_hf_backend.py``; float sums differ only in the last bits).
Imported only by ``backends.hf``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from transformers import AttentionInterface, DynamicCache
from transformers.cache_utils import DynamicLayer
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

log = logging.getLogger(__name__)

ATTENTION = "mammoth_shared_prompt"  # the name generate runs under while the cache holds shared prompts


class SharedPromptLayer(DynamicLayer):
    """One layer's cache: the prompts' keys and values once each (``prompt``: batch x heads x length x dim), and
    the n samples' own in a buffer with ``room`` positions, filled in place."""

    @classmethod
    def split(cls, layer: DynamicLayer, n: int, room: int) -> SharedPromptLayer:
        new = cls()
        new.__dict__.update(layer.__dict__)
        new.prompt = (layer.keys, layer.values)
        batch, heads, _, dim = layer.keys.shape
        new._keys = layer.keys.new_empty((batch * n, heads, room, dim))
        new._values = layer.values.new_empty((batch * n, heads, room, dim))
        new.length = 0
        new.keys, new.values = new._keys[..., :0, :], new._values[..., :0, :]
        return new

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
               ) -> tuple[torch.Tensor, torch.Tensor]:
        end = self.length + key_states.shape[-2]
        if end > self._keys.shape[-2]:
            raise RuntimeError(f"shared-prompt cache full: {end} > {self._keys.shape[-2]} new positions")
        self._keys[..., self.length:end, :], self._values[..., self.length:end, :] = key_states, value_states
        self.length = end
        self.keys, self.values = self._keys[..., :end, :], self._values[..., :end, :]
        self.keys.shared_prompt = self  # how the attention below finds the prompt part (it is handed the keys)
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.prompt[0].shape[-2] + self.length

    def full(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values as the plain way holds them: each prompt repeated n times, then the samples' own."""
        n = self._keys.shape[0] // self.prompt[0].shape[0]
        return tuple(torch.cat([p.repeat_interleave(n, 0), own], dim=-2)  # type: ignore[return-value]
                     for p, own in zip(self.prompt, (self.keys, self.values)))


def shared_prompt_attention(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                            attention_mask: torch.Tensor | None, scaling: float | None = None, dropout: float = 0.0,
                            **kwargs: Any) -> tuple[torch.Tensor, None]:
    """Attention of one new token per sample over its prompt (shared) and its own tokens; what this does not
    cover (more than one query, soft-capping, sliding windows) goes to sdpa over the full keys."""
    layer = getattr(key, "shared_prompt", None)
    rows, heads, steps, dim = query.shape
    if layer is None or steps != 1 or kwargs.get("softcap") is not None or kwargs.get("sliding_window"):
        if layer is not None:
            key, value = layer.full()
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    prompt_keys, prompt_values = layer.prompt  # batch x kv heads x prompt x dim
    batch, kv_heads, length, _ = prompt_keys.shape
    n, group, own = rows // batch, heads // kv_heads, key.shape[-2]
    # query heads as (kv head, group); the n samples of a prompt side by side: batch x kv heads x n*group x dim
    q = query.view(batch, n, kv_heads, group, dim).transpose(1, 2).reshape(batch, kv_heads, n * group, dim)
    on_prompt = q @ prompt_keys.transpose(-1, -2)
    on_own = (query.view(rows, kv_heads, group, dim) @ key.transpose(-1, -2))  # rows x kv heads x group x own
    on_own = on_own.view(batch, n, kv_heads, group, own).transpose(1, 2).reshape(batch, kv_heads, n * group, own)
    scores = torch.cat([on_prompt, on_own], dim=-1) * (dim ** -0.5 if scaling is None else scaling)
    if attention_mask is not None:  # rows x 1 x 1 x (prompt + own): True (or 0.0) where attended
        mask = attention_mask[:, 0, -1, :].view(batch, 1, n, 1, -1).expand(batch, kv_heads, n, group, -1)
        mask = mask.reshape(batch, kv_heads, n * group, -1)
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    weights = scores.softmax(dim=-1, dtype=torch.float32).to(query.dtype)
    out = (weights[..., :length] @ prompt_values).view(batch, kv_heads, n, group, dim).transpose(1, 2)
    own_weights = weights[..., length:].view(batch, kv_heads, n, group, own).transpose(1, 2)
    out = out.reshape(rows, kv_heads, group, dim) + own_weights.reshape(rows, kv_heads, group, own) @ value
    return out.reshape(rows, 1, heads, dim), None  # batch x query length x heads x dim, as sdpa returns it


AttentionInterface.register(ATTENTION, shared_prompt_attention)
AttentionMaskInterface.register(ATTENTION, sdpa_mask)


@contextmanager
def shared_prompt(model: Any, enc: Any, n: int, room: int) -> Iterator[dict[str, Any]]:
    """``generate`` inputs for n samples of each prompt of ``enc`` (left-padded), each with ``room`` new tokens,
    valid inside the block (run it under ``torch.inference_mode``).

    Falls back to ``num_return_sequences`` where the prompt cannot be shared (a one-token prompt, a model with
    a cache or attention of its own, an older transformers).
    """
    name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"  # 5.x
    before = model.config._attn_implementation
    cache = _prompt_cache(model, enc, n, room, name)
    if cache is not None:
        try:
            model.set_attn_implementation(ATTENTION)
        except Exception as e:
            log.debug("hf: %s attention not settable (%s: %s)", ATTENTION, type(e).__name__, e)
        if model.config._attn_implementation != ATTENTION:  # a model that cannot switch only warns
            cache = None
    if cache is None:
        yield {**enc, "num_return_sequences": n}
        return
    ids, mask = enc["input_ids"], enc["attention_mask"]
    try:
        yield {"input_ids": ids.repeat_interleave(n, 0), "attention_mask": mask.repeat_interleave(n, 0), name: cache}
    finally:
        model.set_attn_implementation(before)


def _prompt_cache(model: Any, enc: Any, n: int, room: int, name: str) -> DynamicCache | None:
    """The prompts run once, all but their last token, as a cache of :class:`SharedPromptLayer`; None: not here."""
    ids, mask = enc["input_ids"], enc["attention_mask"]
    if ids.shape[1] < 2:  # nothing before the last token to share
        return None
    try:
        cache = DynamicCache(config=model.config)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=positions[:, :-1], use_cache=True,
              **{name: cache})
    except Exception as e:  # an older transformers or a model with a cache of its own: the plain way
        log.debug("hf: prompt pass not shared across samples (%s: %s)", type(e).__name__, e)
        return None
    if not all(type(layer) is DynamicLayer for layer in cache.layers):
        return None
    cache.layers = [SharedPromptLayer.split(layer, n, room + 1) for layer in cache.layers]
    return cache
