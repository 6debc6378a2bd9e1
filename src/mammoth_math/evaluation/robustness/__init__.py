"""Beyond accuracy: does a model hold a correct answer when the user pushes back (sycophancy), and do its
programs compute from the question's numbers (Clever Hans)? ``probe(ProbeConfig(...))`` runs both;
``summary_rows`` and ``robustness_section`` feed the report. ``mammoth-math probe`` calls these.
"""

from mammoth_math.evaluation.robustness.challenges import CHALLENGES, challenge_text, plausible_wrong_answer
from mammoth_math.evaluation.robustness.clever_hans import CleverHans, check_programs, plan_variants
from mammoth_math.evaluation.robustness.probe import ProbeConfig, probe
from mammoth_math.evaluation.robustness.records import ProbeRecord, find_probe_runs, read_probe_records
from mammoth_math.evaluation.robustness.summary import ProbeScore, robustness_section, score_probe, summary_rows

__all__ = ["CHALLENGES", "CleverHans", "ProbeConfig", "ProbeRecord", "ProbeScore", "challenge_text", "check_programs",
           "find_probe_runs", "plan_variants", "plausible_wrong_answer", "probe", "read_probe_records",
           "robustness_section", "score_probe", "summary_rows"]
