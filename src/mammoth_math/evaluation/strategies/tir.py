"""Tool-integrated reasoning (ToRA; Qwen2.5-Math "TIR"): prose and Python blocks interleaved, each block run as written.

The model writes prose and a ```python block; generation stops at the block's closing fence (or at ```output,
should the model open an output block itself); the block runs in that answer's sandbox session (one
interpreter per problem and sample, so a later block sees an earlier one's variables); what a notebook would
show comes back as an ```output block appended to the answer so far, and the model goes on. Every unfinished
answer advances together: one batched backend call per turn (a wave of problems at a time when their answers
outnumber the sessions the sandbox holds at once). At most ``max_tool_calls`` blocks run (4, as
ToRA and Qwen2.5-Math); the final answer (``\\boxed{}`` or "The answer is") is read from the last turn.

Rules, as ToRA's loop has them: only a block the model closed runs; one the token limit cut never runs (the
attempt is truncated). Whatever follows the closing fence in the same turn (a made-up ```output, more code)
is cut off, and the real output takes its place. Backends strip the stop string and say "stop" for a stop
string and an end-of-sequence token alike, so a block left open at EOS reads as closed, and runs.

Continuing an answer: an Alpaca prompt is text, and the answer so far is appended to it. Chat messages end
with the assistant's partial answer, which backends render with ``continue_final_message`` (no new turn is
opened; see ``backends.base.render_chat``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mammoth_math.backends import Completion
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import TRUNCATED, Grader
from mammoth_math.evaluation.records import Attempt, Turn
from mammoth_math.evaluation.strategies.base import Prompt, Sample, Sampler, Solution, texts
from mammoth_math.grading import ProgramFailure
from mammoth_math.prompts import CLOSING_FENCE, CODE_FENCE, OUTPUT_FENCE, TIR_KIND, PromptKind, code_block, output_block

if TYPE_CHECKING:
    from mammoth_math.sandbox import ExecResult, Sandbox, SandboxSession

# Generation pauses where a block closes, and where the model would start writing an output itself.
STOP = (CLOSING_FENCE, OUTPUT_FENCE.rstrip("\n"))
CALL_CAP = "call cap"  # the answer asked for a call past --max-tool-calls: no answer
NO_ANSWER = ProgramFailure.NO_ANSWER.value
FENCE = CLOSING_FENCE.rstrip("\n")


@dataclass(frozen=True)
class Step:
    """One generated turn as the loop reads it.

    ``text``: what stays of it (prose, then the code block with its closing fence; nothing after that);
    ``code``: the block to run, None when the turn asks for no call; ``unclosed``: the token limit cut a block.
    """

    text: str
    code: str | None = None
    unclosed: bool = False


def read_turn(text: str, finish_reason: str = "stop") -> Step:
    """The first ```python block of a generated turn, and what stays of the turn's text around it."""
    start = text.find(CODE_FENCE)
    if start < 0:
        return Step(text)
    body = text[start + len(CODE_FENCE):]
    end = body.find(FENCE)
    if end < 0 and finish_reason == "length":
        return Step(text, unclosed=True)
    code = body if end < 0 else body[:end]  # no fence left: the stop string took it
    return Step(text[:start] + code_block(code), code.strip("\n"))


def continued(prompt: Prompt, answer: str) -> Prompt:
    """``prompt`` with the answer so far: appended to Alpaca text, or as the chat's final assistant message."""
    if isinstance(prompt, str):
        return prompt + answer
    return (*prompt, {"role": "assistant", "content": answer})


@dataclass
class _Answer:
    """One sample's answer in progress: its session, its text so far (model text and real outputs), its turns."""

    problem: int
    sample: int
    session: SandboxSession
    text: str = ""
    turns: list[Turn] = field(default_factory=list)
    tokens: int = 0
    finish_reason: str = ""


@dataclass(frozen=True)
class TIR:
    name: str = "tir"
    prompts: tuple[PromptKind, ...] = (TIR_KIND,)
    needs_sandbox: bool = True
    program_paths: tuple[str, ...] = ()  # its code blocks are tools: the answer is read from its prose

    def solve(self, problems: Sequence[Problem], sampler: Sampler, sandbox: Sandbox | None,
              grader: Grader) -> list[Solution]:
        """The problems a wave at a time: a wave's answers hold their sessions from start to end, so a wave
        never needs more than the sandbox holds at once (``session()`` would wait for slots it holds itself)."""
        if sandbox is None:
            raise ValueError(f"strategy {self.name!r} runs programs: it needs a sandbox")
        solutions: list[Solution] = []
        for wave in _waves([sampler.samples_for(p) for p in problems], sandbox.session_capacity):
            solutions += self._solve_wave([problems[k] for k in wave], sampler, sandbox, grader)
        return solutions

    def _solve_wave(self, problems: Sequence[Problem], sampler: Sampler, sandbox: Sandbox,
                    grader: Grader) -> list[Solution]:
        prompts = [sampler.prompt(p, TIR_KIND) for p in problems]
        solutions = [Solution(prompt) for prompt in prompts]
        with ExitStack() as stack:  # every session ends here, whatever happens in between
            answers = [_Answer(k, s, stack.enter_context(sandbox.session()))
                       for k, p in enumerate(problems) for s in range(sampler.samples_for(p))]
            # the first turn: n samples of each prompt in one request, as every other strategy asks
            first = sampler.generate(prompts, [sampler.samples_for(p) for p in problems], STOP)
            replies = [(a, first[a.problem], texts(first[a.problem])[a.sample]) for a in answers]
            for c, solution in zip(first, solutions):
                solution.add(c, ())
            for call in range(sampler.max_tool_calls + 1):
                calls = self._turn(replies, solutions, problems, grader, last=call == sampler.max_tool_calls)
                if not calls:
                    break
                for (answer, step), result in zip(calls, _run_all([(a.session, s.code) for a, s in calls])):
                    _record_call(answer, step, result, solutions[answer.problem])
                pending = [a for a, _ in calls]
                more = sampler.generate([continued(prompts[a.problem], a.text) for a in pending],
                                        [1] * len(pending), STOP, [a.sample for a in pending])
                replies = [(a, c, texts(c)[0]) for a, c in zip(pending, more)]
                for a, c in zip(pending, more):
                    solutions[a.problem].add(c, ())
        for solution in solutions:
            solution.attempts.sort(key=lambda a: a.sample)
        return solutions

    def _turn(self, replies: Sequence[tuple[_Answer, Completion, Sample]], solutions: list[Solution],
              problems: Sequence[Problem], grader: Grader, last: bool) -> list[tuple[_Answer, Step]]:
        """Read one generated turn of each answer: the calls it asks for; answers that end get their attempt."""
        calls = []
        for answer, completion, sample in replies:
            if completion.error:  # the solution carries the error: the problem is not graded
                continue
            answer.tokens += sample.tokens
            answer.finish_reason = sample.finish_reason
            step = read_turn(sample.text, sample.finish_reason)
            if step.code is not None and not last:
                calls.append((answer, step))
                continue
            answer.turns.append(Turn(step.text, step.code))
            answer.text += step.text
            solutions[answer.problem].attempts.append(self._attempt(answer, step, problems[answer.problem], grader))
        return calls

    def _attempt(self, answer: _Answer, step: Step, problem: Problem, grader: Grader) -> Attempt:
        """The attempt of a finished answer: its final answer is read from its last turn."""
        def failed(failure: str) -> Attempt:
            return Attempt(self.name, answer.text, None, failure, failure=failure,
                           finish_reason=answer.finish_reason, sample=answer.sample, turns=answer.turns,
                           tokens=answer.tokens)

        if step.code is not None:
            return failed(CALL_CAP)
        answer_text = None if step.unclosed else grader.answer_text(step.text, answer.finish_reason)
        if answer_text is None:
            return failed(TRUNCATED)
        found = grader.extract(answer_text, problem)
        if found.answer is None:
            return failed(NO_ANSWER)
        return Attempt(self.name, answer.text, found.answer, found.rule, finish_reason=answer.finish_reason,
                       sample=answer.sample, turns=answer.turns, tokens=answer.tokens)


def _waves(samples: Sequence[int], capacity: int) -> list[list[int]]:
    """Consecutive problems (their indices) whose samples together fit in ``capacity`` sessions."""
    too_many = [n for n in samples if n > capacity]
    if too_many:
        raise ValueError(f"tir: {max(too_many)} samples of one problem need as many sandbox sessions at once; this "
                         f"sandbox holds {capacity} (workers x sessions per worker): take fewer --samples")
    waves: list[list[int]] = [[]]
    used = 0
    for k, n in enumerate(samples):
        if used + n > capacity:
            waves.append([])
            used = 0
        waves[-1].append(k)
        used += n
    return [wave for wave in waves if wave]


def _run_all(jobs: Sequence[tuple[SandboxSession, str]]) -> list[ExecResult]:
    """Each block in its own session, the sessions side by side (each call blocks until its block ends)."""
    with ThreadPoolExecutor(max_workers=min(32, len(jobs))) as pool:
        return list(pool.map(lambda job: job[0].run(job[1]), jobs))


def _record_call(answer: _Answer, step: Step, result: ExecResult, solution: Solution) -> None:
    """The turn that made a call: its text, code and what came back, which the answer continues from."""
    from mammoth_math.sandbox import notebook_output

    output = notebook_output(result)
    error = "timeout" if result.timed_out else (str(result.error) if result.error else None)
    answer.turns.append(Turn(step.text, step.code, output, error, float(result.duration_s)))
    answer.text += step.text + output_block(output)
    solution.seconds += float(result.duration_s)
