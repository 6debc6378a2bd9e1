"""Beyond accuracy: does a model hold a correct answer when the user pushes back (sycophancy), and do its
programs compute from the question's numbers (Clever Hans)? ``probe(ProbeConfig(...))`` runs both on top of
the evaluation harness; ``report_section`` adds them to ``mammoth-math report``. ``mammoth-math probe`` calls these.
"""

from mammoth_math.probe.challenges import CHALLENGES, challenge_text, plausible_wrong_answer
from mammoth_math.probe.clever_hans import CleverHans, check_programs, plan_variants
from mammoth_math.probe.records import ProbeRecord, SecondTurn, find_probe_runs, read_probe_records
from mammoth_math.probe.run import ProbeConfig, merge_probes, probe
from mammoth_math.probe.summary import ProbeScore, probe_html, report_section, score_probe, summary_rows

__all__ = ["CHALLENGES", "CleverHans", "ProbeConfig", "ProbeRecord", "ProbeScore", "SecondTurn", "challenge_text",
           "check_programs", "find_probe_runs", "merge_probes", "plan_variants", "plausible_wrong_answer", "probe",
           "probe_html", "read_probe_records", "report_section", "score_probe", "summary_rows"]
