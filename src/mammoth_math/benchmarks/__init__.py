"""The MAmmoTH evaluation suite as data: ten benchmark specs, their loaders, and few-shot exemplars."""

from mammoth_math.benchmarks.fewshot import read_exemplars, train_exemplars
from mammoth_math.benchmarks.registry import BENCHMARKS, get_benchmark, load_problems
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem

__all__ = ["BENCHMARKS", "BenchmarkSpec", "Problem", "get_benchmark", "load_problems", "read_exemplars",
           "train_exemplars"]
