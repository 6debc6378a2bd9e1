"""The vllm backend's options reach vLLM's engine arguments unchanged (vLLM itself needs a GPU machine)."""

from __future__ import annotations

import pytest

from mammoth_math.backends.vllm_engine import engine_args


def test_parallel_sizes_go_to_the_engine():
    args = engine_args("m", {"tensor_parallel_size": 2, "data_parallel_size": 4, "dtype": "auto",
                             "max_model_len": None, "enforce_eager": True})
    assert args == {"model": "m", "tensor_parallel_size": 2, "data_parallel_size": 4, "dtype": "auto",
                    "enforce_eager": True}


def test_a_parallel_size_below_one_is_refused():
    with pytest.raises(ValueError, match="data_parallel_size must be >= 1"):
        engine_args("m", {"data_parallel_size": 0})
