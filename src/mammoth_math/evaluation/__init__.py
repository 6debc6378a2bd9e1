"""The evaluation harness: MAmmoTH's suite with decoding strategies (CoT, PoT, hybrid, self-consistency).

``evaluate(EvalConfig(...))`` runs and resumes; ``merge_output`` joins shards; ``build_report`` writes the
table, ``results.json``, a PNG chart and an HTML report. ``mammoth-math eval|merge|report`` call these.
Strategies live in ``evaluation.strategies``, one module each, named in ``STRATEGIES``.
"""

from mammoth_math.evaluation.config import EvalConfig, load_config, parse_shard
from mammoth_math.evaluation.grader import Grader, vote
from mammoth_math.evaluation.records import Attempt, Execution, ProblemRecord, Turn, read_problem_records
from mammoth_math.evaluation.report import Naming, Report, ReportSection, build_report
from mammoth_math.evaluation.run import evaluate
from mammoth_math.evaluation.scores import DatasetScore, find_runs, score_records
from mammoth_math.evaluation.shard import MergeResult, merge_output
from mammoth_math.evaluation.strategies import STRATEGIES, Strategy, get_strategy

__all__ = ["STRATEGIES", "Attempt", "DatasetScore", "EvalConfig", "Execution", "Grader", "MergeResult",
           "Naming", "ProblemRecord", "Report", "ReportSection", "Strategy", "Turn", "build_report", "evaluate",
           "find_runs", "get_strategy", "load_config", "merge_output", "parse_shard", "read_problem_records",
           "score_records", "vote"]
