"""The MathInstruct builder: source adapters, deterministic PoT converters, verification in the
sandbox, dedup, decontamination, mixing, export and report; synthesis through an OpenAI-compatible API;
rejection-sampled distillation from any backend (``distill``).

``build(load_config("configs/data/mathinstruct.yaml"), "out/")`` is the whole pipeline.
"""

from mammoth_math.data.build import BuildResult, build, read_sources
from mammoth_math.data.config import (
           BuildConfig,
           SourceSpec,
           config_from_dict,
           load_config,
)
from mammoth_math.data.distill import DistillConfig, DistillResult, distill, load_distill_config
from mammoth_math.data.examples import Example, Reject, SeedProblem, SourceResult
from mammoth_math.data.sources import SOURCES, formula_to_program, notes_to_program
from mammoth_math.data.synthesize import SynthesisConfig, SynthesisUsage, synthesize

__all__ = ["SOURCES", "BuildConfig", "BuildResult", "DistillConfig", "DistillResult", "Example", "Reject", "SeedProblem", "SourceResult", "SourceSpec",
           "SynthesisConfig", "SynthesisUsage", "build", "config_from_dict", "distill", "formula_to_program", "load_config", "load_distill_config",
           "notes_to_program", "read_sources", "synthesize"]
