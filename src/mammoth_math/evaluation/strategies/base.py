"""What every decoding strategy shares: the protocol, the sampler it calls and the solution it returns.

A strategy turns a batch of problems into attempts. It asks the :class:`Sampler` for completions (the run's
backend, prompt format and sampling settings), runs programs in the sandbox when it writes any, and extracts
answers with the run's :class:`~mammoth_math.evaluation.grader.Grader`. The harness picks the answer, grades
it and writes the record, so a new strategy needs no change anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from mammoth_math.backends import Backend, Completion, GenerationRequest
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.records import Attempt
from mammoth_math.prompts import (
    PROMPT_STYLES,
    Exemplar,
    PromptKind,
    build_prompt,
    prompt_kind,
    stop_strings,
    styled_prompt,
)

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox

Prompt = Any  # Alpaca text, or chat messages (see ``prompts.build_prompt``)


@dataclass(frozen=True)
class Sampler:
    """The run's backend with its prompt format and sampling settings: what a strategy generates through.

    ``samples`` completions per prompt unless ``counts`` (problem id -> n) says otherwise; a fallback asks
    for as many as there were failed samples. ``max_tool_calls``: code blocks a tool-integrated answer may run.
    """

    backend: Backend
    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    samples: int = 1
    seed: int | None = None  # used only when sampling (temperature > 0)
    chat: bool = False
    exemplars: Mapping[str, Sequence[Exemplar]] = field(default_factory=dict)  # prompt kind's name -> exemplars
    counts: Mapping[str, int] = field(default_factory=dict)
    style: str = "mammoth"  # a ``prompts.PROMPT_STYLES`` name: a chat style replaces the prompt it asks for
    max_tool_calls: int = 4  # ToRA's and Qwen2.5-Math's default
    progress: bool = False  # a bar per backend call (a server's requests one by one), under the run's own

    def prompt(self, problem: Problem, kind: PromptKind | str) -> Prompt:
        """The prompt of ``kind`` (or a shipped kind's name) for ``problem``, with this run's exemplars and format."""
        kind = prompt_kind(kind)
        style = PROMPT_STYLES[self.style]
        if style.chat and style.rationale == kind:
            return styled_prompt(problem, self.style)
        return build_prompt(problem, kind, self.exemplars.get(kind.name, ()), self.chat)

    def samples_for(self, problem: Problem) -> int:
        return self.counts.get(problem.id, self.samples)

    def with_counts(self, counts: Mapping[str, int]) -> Sampler:
        return replace(self, counts=dict(counts))

    def with_samples(self, samples: int) -> Sampler:
        return replace(self, samples=samples)

    def generate(self, prompts: Sequence[Prompt], counts: Sequence[int], stop: Sequence[str] = (),
                 seed_offsets: Sequence[int] = ()) -> list[Completion]:
        """One batched backend call: ``counts[i]`` completions of ``prompts[i]``, in order.

        ``stop`` adds stop strings to the prompt format's (a strategy that pauses generation, e.g. to run code).
        ``seed_offsets[i]`` is added to the seed of request i: samples continued one request each must not
        share a seed, or two that wrote the same text so far would go on alike.
        """
        offsets = seed_offsets or [0] * len(prompts)
        requests = [GenerationRequest(prompt, self.max_new_tokens, self.temperature, self.top_p, n,
                                      (*stop_strings(self.chat), *stop),
                                      self.seed + offset if self.temperature and self.seed is not None else None)
                    for prompt, n, offset in zip(prompts, counts, offsets)]
        return self.backend.generate(requests, progress=self.progress)


@dataclass
class Solution:
    """What a strategy made of one problem: the prompts it sent, its attempts in order, and their cost."""

    prompt: Prompt = None
    attempts: list[Attempt] = field(default_factory=list)
    fallback_prompt: Prompt = None
    fallback_reasons: list[str] = field(default_factory=list)
    error: str | None = None  # a backend error after its retries: the problem is not graded
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def add(self, completion: Completion, attempts: Sequence[Attempt]) -> None:
        """Append the attempts read from ``completion`` and count its cost (sandbox time included)."""
        self.attempts.extend(attempts)
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.seconds += completion.seconds + sum(a.execution.duration_s for a in attempts if a.execution)
        self.error = self.error or completion.error  # the first error a problem met


class Strategy(Protocol):
    """A decoding strategy: ``solve`` answers a batch of problems, one :class:`Solution` each, in order.

    ``prompts``: the kinds its prompts ask for (few-shot exemplars are loaded for each); ``needs_sandbox``:
    it runs code; ``program_paths``: the attempt paths (strategy names) whose attempts are programs, their
    answer what the program gave (the probe's Clever Hans check and its cot/program split read it).
    """

    name: str
    prompts: tuple[PromptKind, ...]
    needs_sandbox: bool
    program_paths: tuple[str, ...]

    def solve(self, problems: Sequence[Problem], sampler: Sampler, sandbox: Sandbox | None,
              grader: Grader) -> list[Solution]: ...


class SinglePass:
    """Base of the strategies that send one prompt per problem and read each completion on its own.

    A subclass names its prompt ``kind``, says whether it ``writes_programs`` (each attempt a program whose run
    gave the answer) and implements ``read``, the attempt-building step alone: the probe sends its own
    second-turn prompts and reads the answers with it, exactly as a first turn is read.
    """

    name: str
    kind: PromptKind
    writes_programs: bool

    @property
    def prompts(self) -> tuple[PromptKind, ...]:
        return (self.kind,)

    @property
    def program_paths(self) -> tuple[str, ...]:
        return (self.name,) if self.writes_programs else ()

    @property
    def needs_sandbox(self) -> bool:
        return self.writes_programs

    def solve(self, problems: Sequence[Problem], sampler: Sampler, sandbox: Sandbox | None,
              grader: Grader) -> list[Solution]:
        prompts = [sampler.prompt(p, self.kind) for p in problems]
        completions = sampler.generate(prompts, [sampler.samples_for(p) for p in problems])
        solutions = [Solution(prompt) for prompt in prompts]
        for solution, completion, attempts in zip(solutions, completions,
                                                  self.read(completions, problems, sandbox, grader)):
            for sample, attempt in enumerate(attempts):
                attempt.sample = sample
            solution.add(completion, attempts)
        return solutions

    def read(self, completions: Sequence[Completion], problems: Sequence[Problem], sandbox: Sandbox | None,
             grader: Grader) -> list[list[Attempt]]:
        """The attempts of each completion (one per sample), in order."""
        raise NotImplementedError


@dataclass(frozen=True)
class Sample:
    """One generated sample as a strategy reads it."""

    text: str
    finish_reason: str = ""
    tokens: int = 0  # output tokens, 0 when the backend does not say per sample


def texts(completion: Completion) -> list[Sample]:
    """Each sample of ``completion`` (a failed call's empty texts included)."""
    n = len(completion.texts)
    reasons = completion.finish_reasons or [""] * n
    tokens = completion.sample_tokens or [0] * n
    return [Sample(*fields) for fields in zip(completion.texts, reasons, tokens)]
