"""Contamination that survives rewording (``mammoth-math data contamination``, and a build's ``contamination``
section): ``stages`` finds pairs (n-grams, retrieval, a model's ``check``), ``summary`` writes the report,
``run`` reads what to compare. The build's own n-gram stage is ``data/decontaminate.py``.
"""

from mammoth_math.data.contamination.run import contamination_run, read_tests, read_train
from mammoth_math.data.contamination.stages import (
    Contamination,
    ContaminationConfig,
    contamination_config,
    decontaminate_similar,
    find_contamination,
    make_checker,
)
from mammoth_math.data.contamination.summary import write_contamination_report

__all__ = ["Contamination", "ContaminationConfig", "contamination_config", "contamination_run", "decontaminate_similar",
           "find_contamination", "make_checker", "read_tests", "read_train", "write_contamination_report"]
