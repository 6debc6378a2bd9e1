"""The MathInstruct builder (issue 5): source adapters, deterministic CoT/PoT converters, records.

Work in progress: verification, dedup, decontamination, mixing and export are not built yet.
"""

from mammoth_math.data.records import Example, Reject, SourceResult
from mammoth_math.data.sources import formula_to_program, notes_to_program

__all__ = ["Example", "Reject", "SourceResult", "formula_to_program", "notes_to_program"]
