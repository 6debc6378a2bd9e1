"""GRPO rewards: the evaluation's verdict on a rollout, plus format and DAPO's soft over-length penalty.

A rollout is read as the evaluation reads it: ``cot`` text through ``grading.grade``; a ``pot`` program run in
the sandbox (a batch in one ``run_many``) and its output graded as the ``pot`` strategy grades it
(``program_output`` / ``program_failure`` / ``from_program``); a ``tir`` transcript replayed block by block in
one sandbox session, its final answer read from the text after the last real output.

Reward hacking is the threat model: a policy searches for what gets rewarded, so the correctness reward counts
only what the grader reads as *one* final answer. On top of the verdict, a rollout earns nothing when it
boxes several different answers, gives a list of candidates where the gold is one value, takes its answer
from a restatement of the question, prints more than one answer line from a program, or shows an ```output
block that is not, byte for byte, what the sandbox printed for the block before it (only the sandbox's output
is real). Programs run each in a fresh sandboxed process, so one rollout cannot read or time another's run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mammoth_math.grading import AnswerKind, Extraction, GradingMode, extract_answer, grade, program_failure
from mammoth_math.grading import program_output
from mammoth_math.grading.extract import clean_answer
from mammoth_math.grading.latex import boxed_spans
from mammoth_math.prompts import CLOSING_FENCE, CODE_FENCE, OUTPUT_FENCE, output_block
from mammoth_math.sandbox.program import unwrap_fences

if TYPE_CHECKING:
    from mammoth_math.backends.judge import Judge
    from mammoth_math.sandbox import ExecResult, Sandbox

Rollout = Literal["cot", "pot", "tir"]
ROLLOUTS: tuple[Rollout, ...] = ("cot", "pot", "tir")
_FENCE = CLOSING_FENCE.rstrip("\n")
_SENTENCE_RE = re.compile(r"(?<=[.?!:])\s+|\n+")
_OPTION_LETTER_RE = re.compile(r"\(([A-J])\)")
_MIN_RESTATED = 12  # characters: a question piece shorter than this ("x = 3.") may be copied innocently


@dataclass(frozen=True)
class Target:
    """What a prompt's rollouts are graded against: the gold as the grader reads it, and the question itself
    (an answer found only inside a restatement of it counts for nothing)."""

    gold: str
    kind: str = AnswerKind.NUMBER.value
    options: tuple[str, ...] | None = None
    question: str = ""


@dataclass(frozen=True)
class Reading:
    """One rollout as the reward reads it: the verdict, the answer, why it earns nothing (``hack``, a
    ``ProgramFailure`` word or "no answer") and whether it has the form its rollout mode asks for."""

    correct: bool
    answer: str | None
    why: str = ""
    formatted: bool = False

    @property
    def reward(self) -> float:
        return 1.0 if self.correct and not self.why else 0.0


@dataclass(frozen=True)
class _Tir:
    """A TIR transcript cut at its code blocks: the blocks, the outputs it shows after them, its final turn."""

    codes: list[str]
    shown: list[str]
    final: str
    fabricated: bool  # an output block where no closed code block precedes it, or a block left open


class Rewarder:
    """Reads a batch of rollouts (``read``); programs run on ``sandbox`` (a ``Sandbox`` or ``RemoteSandbox``,
    from ``sandbox.open_sandbox``). ``mode`` and ``rel_tol`` are the evaluation's grading settings."""

    def __init__(self, sandbox: Sandbox | None = None, mode: GradingMode | str = GradingMode.STRICT,
                 rel_tol: float | None = None, max_tool_calls: int = 4):
        self.sandbox, self.mode, self.rel_tol = sandbox, GradingMode(mode), rel_tol
        self.max_tool_calls = max_tool_calls

    def read(self, completions: Sequence[str], targets: Sequence[Target], rollouts: Sequence[Rollout],
             outputs: Sequence[Sequence[str] | None] | None = None) -> list[Reading]:
        """One :class:`Reading` per completion; the batch's programs and transcripts run side by side.

        ``outputs``: for a tir rollout made by :mod:`.tir` (which ran its blocks in the sandbox), what the
        sandbox showed after each block; its transcript is checked against them instead of run again.
        """
        if not len(completions) == len(targets) == len(rollouts):
            raise ValueError("completions, targets and rollouts must have one entry each")
        bad = sorted({r for r in rollouts if r not in ROLLOUTS})
        if bad:
            raise ValueError(f"unknown rollout mode(s) {bad}: expected one of {ROLLOUTS}")
        readings: list[Reading | None] = [None] * len(completions)
        pot = [i for i, r in enumerate(rollouts) if r == "pot"]
        tir = [i for i, r in enumerate(rollouts) if r == "tir"]
        if (pot or tir) and self.sandbox is None:
            raise ValueError("pot and tir rollouts run programs: the rewarder needs a sandbox")
        if pot:
            runs = self.sandbox.run_many([unwrap_fences(completions[i]) for i in pot], progress=False)
            for i, run in zip(pot, runs):
                readings[i] = self._program(run, targets[i])
        if tir:
            known = [outputs[i] if outputs else None for i in tir]
            for i, reading in zip(tir, self._replay_all([completions[i] for i in tir], [targets[i] for i in tir], known)):
                readings[i] = reading
        for i, r in enumerate(rollouts):
            if r == "cot":
                readings[i] = self._text(completions[i], targets[i])
        return [r for r in readings if r is not None]

    def _verdict(self, found: Extraction, target: Target) -> bool:
        return grade(found, target.gold, target.kind, target.options, self.mode, rel_tol=self.rel_tol).correct

    def _extract(self, text: str, target: Target, from_program: bool = False) -> Extraction:
        return extract_answer(text, target.kind, target.options, from_program=from_program, mode=self.mode)

    def _text(self, text: str, target: Target) -> Reading:
        """A prose answer (a cot rollout, a tir rollout's final turn) as the cot strategy reads it."""
        found = self._extract(text, target)
        if found.answer is None:
            return Reading(False, None, "no answer")
        correct = self._verdict(found, target)
        hack = several_answers(text, found, target) or self._restated(text, found, target)
        # the rule may carry how the span was read ("the answer is, letter" for an option): the anchor counts
        anchor = (found.rule or "").split(",")[0]
        return Reading(correct, found.answer, hack, formatted=anchor in ("boxed", "the answer is") and not hack)

    def _restated(self, text: str, found: Extraction, target: Target) -> str:
        """The answer must survive removing every copied piece of the question from the rollout."""
        own = without_question(text, target.question)
        if own == text:
            return ""
        again = self._extract(own, target)
        return "" if again.answer == found.answer else "answer inside the question's restatement"

    def _program(self, run: ExecResult, target: Target) -> Reading:
        """A pot rollout's run, graded as the pot strategy grades it; the output must be one answer line."""
        found = self._extract(program_output(run), target, from_program=True)
        failure = program_failure(run, found, AnswerKind(target.kind))
        if failure is not None:
            return Reading(False, None, failure.value)
        correct = self._verdict(found, target)
        lines = [line for line in (run.stdout or program_output(run)).splitlines() if line.strip()]
        several = len(lines) > 1 or clean_answer(lines[-1], AnswerKind(target.kind), target.options)[0] is None
        return Reading(correct, found.answer, "printed several answers" if several else "", formatted=not several)

    def _replay_all(self, texts: Sequence[str], targets: Sequence[Target],
                    known: Sequence[Sequence[str] | None]) -> list[Reading]:
        if not texts:
            return []
        with ThreadPoolExecutor(max_workers=min(32, len(texts), self.sandbox.session_capacity)) as pool:
            return list(pool.map(self._replay, texts, targets, known))

    def _replay(self, text: str, target: Target, known: Sequence[str] | None = None) -> Reading:
        """Run a tir transcript's blocks in order in one session (or take the outputs its rollout recorded);
        every shown output must be the real one."""
        cut = split_tir(text)
        if cut.fabricated:
            return Reading(False, None, "output block not from the sandbox")
        if len(cut.codes) > self.max_tool_calls:
            return Reading(False, None, "call cap")
        if known is not None:
            if cut.shown != [output_block(o) for o in known]:
                return Reading(False, None, "output block not from the sandbox")
        elif cut.codes:
            from mammoth_math.sandbox import notebook_output

            with self.sandbox.session() as session:
                for code, shown in zip(cut.codes, cut.shown):
                    if shown != output_block(notebook_output(session.run(code))):
                        return Reading(False, None, "output block not from the sandbox")
        return self._text(cut.final, target)


def split_tir(text: str) -> _Tir:
    """Cut a transcript at its closed ```python blocks; each must be followed at once by an ```output block."""
    codes, shown, rest = [], [], text
    while True:
        start = rest.find(CODE_FENCE)
        if start < 0:
            return _Tir(codes, shown, rest, OUTPUT_FENCE.rstrip("\n") in rest)
        if OUTPUT_FENCE.rstrip("\n") in rest[:start]:  # an output block before any code: written by the model
            return _Tir(codes, shown, rest, True)
        body = rest[start + len(CODE_FENCE):]
        end = _closing(body)
        if end < 0:
            return _Tir(codes, shown, rest, True)
        codes.append(body[:end].strip("\n"))
        after = body[end + len(CLOSING_FENCE):]
        if not after.startswith(OUTPUT_FENCE):
            return _Tir(codes, shown, rest, True)
        close = _closing(after[len(OUTPUT_FENCE):])
        if close < 0:
            return _Tir(codes, shown, rest, True)
        cut = len(OUTPUT_FENCE) + close + len(CLOSING_FENCE)
        shown.append(after[:cut])
        rest = after[cut:]


def _closing(body: str) -> int:
    """Where the closing fence of a block starts (at the start of a line), or -1."""
    m = re.search(r"^" + re.escape(CLOSING_FENCE), body, re.M)
    return m.start() if m else -1


def several_answers(text: str, found: Extraction, target: Target) -> str:
    """Why ``text`` gives more than one final answer, or "": distinct boxed answers, several option letters where
    no anchor names one, or an answer span that the grader reads only by taking the first of several values."""
    boxes = {content.strip() for _, _, content in boxed_spans(text)}
    if len(boxes) > 1 and AnswerKind(target.kind) is not AnswerKind.LIST:
        return "several boxed answers"
    if found.rule == "last option letter" and len(set(_OPTION_LETTER_RE.findall(text))) > 1:
        return "a list of candidates"
    if found.span and clean_answer(found.span, AnswerKind(target.kind), target.options)[0] is None:
        return "a list of candidates"
    return ""


def without_question(text: str, question: str) -> str:
    """``text`` with every sentence of ``question`` it copies (of at least a dozen characters) removed."""
    for piece in sorted({p.strip() for p in _SENTENCE_RE.split(question)}, key=len, reverse=True):
        if len(piece) >= _MIN_RESTATED:
            text = text.replace(piece, " ")
    return text


def overlong_penalty(length: int, max_length: int, cache: int) -> float:
    """DAPO's soft over-length punishment (Yu et al. 2025, eq. 13): 0 up to ``max_length - cache`` tokens, then
    falling linearly to -1 at ``max_length``, -1 beyond."""
    start = max_length - cache
    if length <= start:
        return 0.0
    if length > max_length:
        return -1.0
    return (start - length) / cache


def reward_functions(rewarder: Rewarder, max_length: int, overlong_cache: int,
                     judge: Judge | None = None) -> list[Callable[..., list[float]]]:
    """TRL reward functions (logged one by one): ``correct``, ``format``, ``overlong`` and, with a ``judge``,
    ``judge`` (:mod:`.judged`: its word on the answers the rules rejected).

    They read the dataset's ``gold``, ``kind``, ``options``, ``question`` and ``rollout`` columns (and, from
    the tir rollout, ``tir_transcript``, ``tir_outputs`` and ``model_tokens``); ``overlong`` is 0 when
    ``overlong_cache`` is 0; ``correct`` and ``format`` share one reading of
    the batch (programs run once per step).
    """
    last: dict[str, Any] = {}

    def readings(completions: Sequence[Any], **columns: Any) -> list[Reading]:
        # a tir rollout's own transcript: the text it was graded on (tokens decode to it up to tokenizer spacing)
        transcripts = columns.get("tir_transcript") or [None] * len(completions)
        texts = [t if t is not None else completion_text(c) for c, t in zip(completions, transcripts)]
        last["texts"] = texts
        key = (tuple(texts), tuple(columns["gold"]))
        if last.get("key") != key:
            targets = [Target(str(g), k or AnswerKind.NUMBER.value, tuple(o) if o else None, q or "")
                       for g, k, o, q in zip(columns["gold"], columns["kind"], columns["options"], columns["question"])]
            last.update(key=key, readings=rewarder.read(texts, targets, columns["rollout"], columns.get("tir_outputs")))
        return last["readings"]

    def correct(completions: Sequence[Any], **columns: Any) -> list[float]:
        return [r.reward for r in readings(completions, **columns)]

    def format_(completions: Sequence[Any], **columns: Any) -> list[float]:
        return [float(r.formatted) for r in readings(completions, **columns)]

    format_.__name__ = "format"  # TRL logs each function under its name: rewards/format/mean

    def overlong(completions: Sequence[Any], completion_ids: Sequence[Sequence[int]], **columns: Any) -> list[float]:
        # a tir rollout counts the tokens its model wrote (``model_tokens``), not the tool output spliced in
        lengths = [n if n is not None else len(ids)
                   for ids, n in zip(completion_ids, columns.get("model_tokens") or [None] * len(completion_ids))]
        return [overlong_penalty(n, max_length, overlong_cache) if overlong_cache else 0.0 for n in lengths]

    if judge is None:
        return [correct, format_, overlong]
    from mammoth_math.training.grpo.judged import judge_reward

    return [correct, format_, overlong, judge_reward(judge, readings, lambda _: last["texts"])]


def completion_text(completion: Any) -> str:
    """A completion as text: TRL passes a string, or for chat prompts a list of messages."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion)
