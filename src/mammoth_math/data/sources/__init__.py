"""Source adapters: each data set's file as examples, seed problems and rejects.

``SOURCES`` maps a name to its ``load(path, types, limit) -> SourceResult``; ``DEFAULT_PATHS`` gives the
path of each under a training-data folder laid out like ``../shared/data/train``. The MAmmoTH training
sets are read by ``benchmarks.train_sets`` (shared with few-shot, so exemplars are training rows);
GSM8K and MathQA add PoT rows converted from their own annotations, the others offer seed problems.
"""

from collections.abc import Callable
from functools import partial

from mammoth_math.benchmarks.train_sets import TRAIN_SETS
from mammoth_math.data.sources import distilled, mathinstruct, rationales
from mammoth_math.data.sources.gsm8k import NOTES, notes_to_program
from mammoth_math.data.sources.mathqa import FORMULAS, formula_to_program
from mammoth_math.data.sources.rows import load_train_set

_CONVERTERS = {"gsm8k": NOTES, "mathqa": FORMULAS}
SOURCES: dict[str, Callable] = {name: partial(load_train_set, name, _CONVERTERS.get(name)) for name in TRAIN_SETS} | {
    "mathinstruct": mathinstruct.load, "rationales": rationales.load, "distilled": distilled.load}
DEFAULT_PATHS: dict[str, str] = {name: train_set.path for name, train_set in TRAIN_SETS.items()} | {
    "mathinstruct": "mathinstruct.jsonl", "rationales": "rationales.jsonl", "distilled": "distilled.jsonl"}

__all__ = ["DEFAULT_PATHS", "SOURCES", "formula_to_program", "notes_to_program"]
