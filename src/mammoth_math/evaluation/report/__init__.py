"""The report of an output folder: ``build_report`` writes the table, ``results.json``, a PNG chart and an HTML page.

``build`` assembles them; ``sampled`` makes each suite's section, ``chart`` the PNG, ``judge`` the LLM judge's
columns (from saved verdicts), ``selection`` the best-of-n rules' section. ``mammoth-math report OUT`` calls these.
"""

from mammoth_math.evaluation.report.build import (TOOL_HEADS, Naming, Report, ReportSection, SectionMaker, build_report,
                                                  tool_cells)
from mammoth_math.evaluation.report.sampled import format_metric, metric_names, sampled_rows, settings_text
from mammoth_math.evaluation.report.selection import rule_columns, selection_rows, selection_section

__all__ = ["TOOL_HEADS", "Naming", "Report", "ReportSection", "SectionMaker", "build_report", "format_metric",
           "metric_names", "rule_columns", "sampled_rows", "selection_rows", "selection_section", "settings_text",
           "tool_cells"]
