"""Benchmarks as data: the MAmmoTH suite's ten specs, the eleven modern sets, named suites, the extra sets in no
suite, few-shot exemplars."""

from mammoth_math.benchmarks.fewshot import read_exemplars, train_exemplars
from mammoth_math.benchmarks.listing import BenchmarkRow, benchmark_rows
from mammoth_math.benchmarks.registry import (
    BENCHMARKS,
    EXTRA_BENCHMARKS,
    MODERN_BENCHMARKS,
    SUITES,
    get_benchmark,
    load_problems,
    resolve_datasets,
)
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem, Sampling

__all__ = ["BENCHMARKS", "EXTRA_BENCHMARKS", "MODERN_BENCHMARKS", "SUITES", "BenchmarkRow", "BenchmarkSpec", "Problem",
           "Sampling", "benchmark_rows", "get_benchmark", "load_problems", "read_exemplars", "resolve_datasets",
           "train_exemplars"]
