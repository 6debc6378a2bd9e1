"""``sdpa_varlen``: attention for padding-free batches on hardware without flash-attention's varlen kernels.

A padding-free batch is one row of concatenated examples; plain SDPA then attends over the whole row with
a block-diagonal mask, quadratic in the row's total length. This runs causal SDPA per example (the
collator's ``cu_seq_lens_q`` boundaries), so no work goes to padding or across examples. Without those
boundaries (padded batches, generation) it is exactly transformers' ``sdpa``. On GPUs prefer
``flash_attention_2``/``3``, which do the same natively.
"""

from __future__ import annotations

from typing import Any

NAME = "sdpa_varlen"


def register_varlen_attention() -> str:
    """Register ``sdpa_varlen`` with transformers (attention and mask interfaces); returns the name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    def mask(**kwargs: Any) -> Any:
        # A padding-free row (one sequence, no padding mask) needs no dense block mask: the attention
        # below splits it by cu_seq_lens_q; building the (tokens x tokens) mask would cost more than attention.
        if kwargs.get("attention_mask") is None and kwargs.get("batch_size") == 1:
            return None
        return sdpa_mask(**kwargs)

    AttentionInterface.register(NAME, _sdpa_varlen_forward)
    ALL_MASK_ATTENTION_FUNCTIONS.register(NAME, mask)
    return NAME


def _sdpa_varlen_forward(module: Any, query: Any, key: Any, value: Any, attention_mask: Any,
                         dropout: float = 0.0, scaling: float | None = None, **kwargs: Any) -> tuple[Any, None]:
    import torch
    from torch.nn.functional import scaled_dot_product_attention
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    bounds = kwargs.get("cu_seq_lens_q")
    if bounds is None or query.shape[0] != 1 or query.shape[2] != key.shape[2]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      **kwargs)
    groups = getattr(module, "num_key_value_groups", 1)
    key, value = repeat_kv(key, groups), repeat_kv(value, groups)  # [1, heads, tokens, head_dim]
    # split, not slices: the backward of a slice writes into a zeroed copy of the whole row, once per example and
    # tensor (quadratic in the examples per batch); a split's backward is one concatenation.
    lengths = bounds.diff().tolist()  # they add up to the row's length: the collator's boundaries cover it
    parts = [
        scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout if module.training else 0.0,
                                     scale=scaling)
        for q, k, v in zip(*(t.split(lengths, dim=2) for t in (query, key, value)))
        if q.shape[2]
    ]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None  # [1, tokens, heads, head_dim]
