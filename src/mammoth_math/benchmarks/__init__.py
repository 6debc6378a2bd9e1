"""Benchmarks as data: the MAmmoTH suite's ten specs, the eleven modern sets, named suites, few-shot exemplars."""

from mammoth_math.benchmarks.fewshot import read_exemplars, train_exemplars
from mammoth_math.benchmarks.registry import (
    BENCHMARKS,
    MODERN_BENCHMARKS,
    SUITES,
    get_benchmark,
    load_problems,
    resolve_datasets,
)
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem, Sampling

__all__ = ["BENCHMARKS", "MODERN_BENCHMARKS", "SUITES", "BenchmarkSpec", "Problem", "Sampling", "get_benchmark",
           "load_problems", "read_exemplars", "resolve_datasets", "train_exemplars"]
