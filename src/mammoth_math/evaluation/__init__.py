"""The evaluation harness: MAmmoTH's suite with CoT, PoT, hybrid and self-consistency decoding.

``evaluate(EvalConfig(...))`` runs and resumes; ``merge_output`` joins shards; ``build_report`` writes the
table, ``results.json``, a PNG chart and an HTML report. ``mammoth-math eval|merge|report`` call these.
"""

from mammoth_math.evaluation.config import EvalConfig, parse_shard
from mammoth_math.evaluation.records import Attempt, Execution, ProblemRecord, read_records
from mammoth_math.evaluation.report import Report, build_report
from mammoth_math.evaluation.run import evaluate
from mammoth_math.evaluation.scores import DatasetScore, find_runs, score_records
from mammoth_math.evaluation.shard import MergeResult, merge_output

__all__ = ["Attempt", "DatasetScore", "EvalConfig", "Execution", "MergeResult", "ProblemRecord", "Report",
           "build_report", "evaluate", "find_runs", "merge_output", "parse_shard", "read_records", "score_records"]
