"""Rejection-sampled distillation (``mammoth-math data distill``): a teacher writes k CoT/PoT solutions per
problem, verified ones are kept. ``config`` reads the YAML, ``run`` samples and resumes, ``filters`` grades,
labels and drops, ``checks`` holds the per-sample tests the filters use.
"""

from mammoth_math.data.distill.config import DistillConfig, load_distill_config
from mammoth_math.data.distill.run import DistillResult, distill

__all__ = ["DistillConfig", "DistillResult", "distill", "load_distill_config"]
