"""Synthetic math word problems (gold, CoT and PoT from one computation) and the embedded quickstart demo.

``generate(count, seed)`` draws problems; ``run_quickstart(QuickstartConfig())`` is ``mammoth-math quickstart``.
"""

from mammoth_math.synthetic.computation import Computation, Given, Step
from mammoth_math.synthetic.families import FAMILIES, Family, Template
from mammoth_math.synthetic.generate import (
    FAMILY_NAMES,
    SyntheticProblem,
    generate,
    write_problems,
    write_rationales,
)
from mammoth_math.synthetic.quickstart import (
    QuickstartConfig,
    QuickstartResult,
    run_quickstart,
)

__all__ = ["FAMILIES", "FAMILY_NAMES", "Computation", "Family", "Given", "QuickstartConfig", "QuickstartResult",
           "Step", "SyntheticProblem", "Template", "generate", "run_quickstart", "write_problems", "write_rationales"]
