"""The training files, one reader each: what the data builder turns into rows and few-shot draws exemplars from.

``TRAIN_SETS[name].read(path, limit)`` yields ``(item id, TrainItem | BadRecord)`` in file order, through the
one opening loop (:func:`~mammoth_math.benchmarks.scan.open_records`). A :class:`TrainItem` is a problem as
its training row shows it: the question (options included), the gold and the CoT response (the set's own
rationale, then MAmmoTH's closing "The answer is X."), so an exemplar drawn from it *is* the training row.
The PoT conversions (GSM8K's calculator notes, MathQA's formulas) belong to the builder (``data.sources``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks.scan import (
    BadRecord,
    Record,
    Scanned,
    open_records,
    scan_json_array,
    scan_json_tree,
    scan_jsonl,
)
from mammoth_math.files import InputError
from mammoth_math.grading import AnswerKind, last_boxed, parse_gold
from mammoth_math.prompts import with_choices

K = AnswerKind
NOTE_RE = re.compile(r"<<([^<>=]*)=([^<>]*)>>")  # GSM8K's calculator notes: <<48/2=24>>
_FINAL_RE = re.compile(r"####\s*(.+?)\s*$", re.DOTALL)
_LABEL_RE = re.compile(r"^\s*\(?[A-Ea-e]\s*\)\s*")  # AQuA's "A)" before each option
_OPTION_RE = re.compile(r"(?:^|,)\s*([a-e])\s*\)\s*")  # MathQA's "a ) 24 , b ) 120"
# TheoremQA's Answer_type -> the kind its gold is graded as, in its train and test files alike.
THEOREMQA_KINDS: dict[str, AnswerKind] = {"integer": K.NUMBER, "float": K.NUMBER, "bool": K.BOOL,
                                          "list of integer": K.LIST, "list of float": K.LIST, "option": K.CHOICE}


@dataclass(frozen=True)
class TrainItem:
    """One training problem as its rows show it (a CoT example, a seed problem) and as a few-shot exemplar."""

    record: Record  # the raw fields, and where they came from
    problem: str  # the question text alone (a PoT row's question for MathQA)
    gold: str  # canonical gold as the grader reads it; an option letter for multiple choice
    kind: AnswerKind
    rationale: str | None = None  # the set's own CoT rationale, cleaned, without the closing sentence
    options: tuple[str, ...] | None = None  # option texts in letter order, for multiple choice
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def question(self) -> str:
        """The problem, then ``Answer Choices: (A) ...`` for multiple choice."""
        return self.problem if self.options is None else with_choices(self.problem, self.options)

    @property
    def response(self) -> str:
        """The CoT row's response: the rationale, then MAmmoTH's closing (alone where the set has no rationale)."""
        closing = f"The answer is {self.gold}."
        return closing if self.rationale is None else f"{self.rationale}\n{closing}"


def final_answer(solution: str) -> str | None:
    """GSM8K's answer after ``####``, thousands commas dropped (``1,363`` -> ``1363``); None without one."""
    m = _FINAL_RE.search(solution)
    return m.group(1).replace(",", "").strip() if m else None


def _gsm8k(rec: Record) -> TrainItem | BadRecord:
    solution = str(rec.data["answer"])
    gold = final_answer(solution)
    if gold is None:
        return rec.bad("no_final_answer", InputError(rec.path, "no '#### N'", rec.line))
    rationale = NOTE_RE.sub("", solution.rpartition("####")[0]).strip()
    return TrainItem(rec, str(rec.data["question"]).strip(), gold, K.NUMBER, rationale)


def _math(rec: Record) -> TrainItem | BadRecord:
    solution = str(rec.data["solution"])
    gold = last_boxed(solution)
    if not gold:
        return rec.bad("no_boxed_answer", InputError(rec.path, "its \\boxed{} is empty" if gold == ""
                                                     else "no \\boxed{} in solution"))
    meta = {"level": rec.data.get("level", ""), "type": rec.data.get("type", "")}
    return TrainItem(rec, str(rec.data["problem"]).strip(), gold, K.EXPRESSION, solution.strip(), meta=meta)


def _aqua(rec: Record) -> TrainItem | BadRecord:
    if not isinstance(rec.data["options"], list):
        return rec.bad("bad_options", rec.fail("options", "not a list"))
    options = tuple(_LABEL_RE.sub("", str(o)).strip() for o in rec.data["options"])
    return TrainItem(rec, str(rec.data["question"]).strip(), str(rec.data["correct"]).strip().upper(), K.CHOICE,
                     str(rec.data["rationale"]).strip(), options)


def parse_options(text: str) -> list[tuple[str, str]]:
    """``"a ) 24 , b ) 120"`` -> ``[("A", "24"), ("B", "120")]``."""
    if text.lstrip().startswith("["):  # some records hold a list repr: "['a ) 4', 'b ) 4 π']"
        text = " , ".join(re.findall(r"'([^']*)'", text))
    parts = _OPTION_RE.split(text)
    return [(parts[i].upper(), parts[i + 1].strip().rstrip(",").strip()) for i in range(1, len(parts) - 1, 2)]


def _mathqa(rec: Record) -> TrainItem | BadRecord:
    options = parse_options(str(rec.data["options"]))
    if len(options) < 2:
        return rec.bad("bad_options", rec.fail("options", f"fewer than two options in {rec.data['options']!r}"))
    rationale = str(rec.data["Rationale"]).strip().strip('"') if rec.data.get("Rationale") else None
    return TrainItem(rec, str(rec.data["Problem"]).strip(), str(rec.data["correct"]).strip().upper(), K.CHOICE,
                     rationale, tuple(text for _, text in options), {"category": rec.data.get("category", "")})


def _scan_numglue(path: Path) -> Iterator[Scanned]:
    """Records of ``Type_N/typeN.json`` in type order (or of one such file)."""
    for file in sorted(path.glob("Type_*/*.json")) if path.is_dir() else [path]:
        for rec in scan_json_array(file):
            if isinstance(rec, Record) and "statement1" in rec.data:  # Type 7 (entailment): two statements, options
                question = " ".join(str(rec.data.get(k, "")).strip() for k in ("statement1", "statement2", "options"))
                rec = replace(rec, data={**rec.data, "question": question})
            yield rec


def _numglue(rec: Record) -> TrainItem:
    try:
        gold, kind = parse_gold(rec.data["answer"], K.NUMBER), K.NUMBER
    except ValueError:
        gold, kind = str(rec.data["answer"]).strip(), K.TEXT  # a few answers are words
    return TrainItem(rec, str(rec.data["question"]).strip(), gold, kind)


def _theoremqa(rec: Record) -> TrainItem | BadRecord:
    if rec.data.get("Picture"):
        return rec.bad("needs_picture", rec.fail("Picture", "the problem needs its picture"))
    kind = THEOREMQA_KINDS.get(str(rec.data["Answer_type"]))
    if kind is None:
        return rec.bad("unknown_answer_type", rec.fail("Answer_type", f"unknown: {rec.data['Answer_type']!r}"))
    try:
        gold = parse_gold(rec.data["Answer"], kind)
    except ValueError as e:
        return rec.bad("bad_gold", rec.fail("Answer", str(e)))
    return TrainItem(rec, str(rec.data["Question"]).strip(), gold, kind)


@dataclass(frozen=True)
class TrainSet:
    """One training file: where it lies under a training-data folder, how it is scanned, what one record means."""

    path: str  # under a folder laid out like ../shared/data/train
    scan: Callable[[Path], Iterable[Scanned]]
    item_id: Callable[[Scanned], str]  # "<set>/<stable part>": a line, an index, a file
    required: tuple[str, ...]  # fields that must be present and non-empty
    item: Callable[[Record], TrainItem | BadRecord]  # a record with its required fields -> the item, or why not

    def read(self, path: str | Path, limit: int | None = None) -> Iterator[tuple[str, TrainItem | BadRecord]]:
        """``(item id, TrainItem or BadRecord)`` for the first ``limit`` records of ``path`` (unreadable ones count)."""
        for item_id, rec in open_records(self.scan(Path(path)), self.item_id, self.required, limit):
            yield item_id, rec if isinstance(rec, BadRecord) else self.item(rec)


def _by_line(name: str) -> Callable[[Scanned], str]:
    return lambda rec: f"{name}/{rec.line}"


def _by_index(name: str) -> Callable[[Scanned], str]:
    return lambda rec: f"{name}/{rec.index}"


TRAIN_SETS: dict[str, TrainSet] = {
    "gsm8k": TrainSet("gsm8k/train.jsonl", scan_jsonl, _by_line("gsm8k"), ("question", "answer"), _gsm8k),
    "math": TrainSet("math", scan_json_tree, lambda rec: f"math/{Path(rec.path).parent.name}/{Path(rec.path).stem}",
                     ("problem", "solution"), _math),
    "aqua": TrainSet("aqua/dev.json", scan_jsonl, _by_line("aqua"), ("question", "options", "rationale", "correct"),
                     _aqua),
    "mathqa": TrainSet("mathqa/dev.json", scan_json_array, _by_index("mathqa"), ("Problem", "options", "correct"),
                       _mathqa),
    "numglue": TrainSet("numglue", _scan_numglue, lambda rec: f"numglue/{Path(rec.path).stem}/{rec.index}",
                        ("question", "answer"), _numglue),
    "theoremqa": TrainSet("theoremqa/theoremqa_train.json", scan_json_array, _by_index("theoremqa"),
                          ("Question", "Answer", "Answer_type"), _theoremqa),
}
