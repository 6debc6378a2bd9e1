"""Source adapters: one module per data set, each reading its original format into examples and rejects.

``SOURCES`` maps a name to its ``load(path, types, limit) -> SourceResult``; ``DEFAULT_PATHS`` gives the
path of each under a training-data folder laid out like ``../shared/data/train``.
"""

from collections.abc import Callable

from mammoth_math.data.sources import (
                                aqua,
                                gsm8k,
                                math,
                                mathinstruct,
                                mathqa,
                                numglue,
                                rationales,
                                theoremqa,
)
from mammoth_math.data.sources.gsm8k import notes_to_program
from mammoth_math.data.sources.mathqa import formula_to_program

SOURCES: dict[str, Callable] = {"gsm8k": gsm8k.load, "math": math.load, "aqua": aqua.load, "mathqa": mathqa.load,
                                "numglue": numglue.load, "theoremqa": theoremqa.load, "mathinstruct": mathinstruct.load,
                                "rationales": rationales.load}
DEFAULT_PATHS: dict[str, str] = {"gsm8k": "gsm8k/train.jsonl", "math": "math", "aqua": "aqua/dev.json",
                                 "mathqa": "mathqa/dev.json", "numglue": "numglue",
                                 "theoremqa": "theoremqa/theoremqa_train.json", "mathinstruct": "mathinstruct.jsonl",
                                 "rationales": "rationales.jsonl"}

__all__ = ["DEFAULT_PATHS", "SOURCES", "formula_to_program", "notes_to_program"]
