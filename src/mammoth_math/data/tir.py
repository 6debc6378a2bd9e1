"""Tool-integrated reasoning (TIR) rows: from a verified PoT program, or a written trajectory replayed.

A TIR response is prose, a ```python block, the ```output block the sandbox printed for it, more blocks, then
"The answer is X." (the shared pieces are in ``prompts``). :func:`from_programs` splits a verified program at its
top-level statements into 1-3 blocks, runs them in order in one sandbox session and writes the real outputs
in; :func:`replay` runs a trajectory's blocks (a teacher's, from ``data synthesize --types tir``) and rejects it
when an output it shows is not what the block prints. Both keep a row only when its final answer grades equal
to the gold.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from mammoth_math.data.examples import Example, Reject
from mammoth_math.grading import ProgramFailure, grade, program_failure
from mammoth_math.grading.grade import ProgramRun
from mammoth_math.progress import track
from mammoth_math.prompts import LETTERS, MC_RESPONSE_PREFIX, code_block, output_block
from mammoth_math.sandbox.program import unwrap_fences

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionRunner:
    """How blocks run: ``run`` takes each problem's blocks (one interpreter per problem, blocks in order) and
    returns their results in order; ``show`` is what the model is shown of a result (``notebook_output``)."""

    run: Callable[[list[list[str]]], Sequence[Sequence[ProgramRun]]]
    show: Callable[[ProgramRun], str]


OPENING = "Let's compute it with Python step by step.\n"
MAX_BLOCKS = 3
CHOICE_REL_TOL = 0.02  # how near a printed number must be to the option it names (verification's default)

# A model's code block and the output block right after it; fences close at the start of a line.
_CODE = re.compile(r"```python[ \t]*\n(.*?)^```[ \t]*(?:\n|\Z)", re.S | re.M)
_OUTPUT = re.compile(r"\s*```output[ \t]*\n(.*?)^```[ \t]*(?:\n|\Z)", re.S | re.M)


def session_runner(timeout: float = 5.0, memory_mb: int = 1024, workers: int | None = None,
                   progress: bool = True) -> SessionRunner:
    """Run each problem's blocks in a sandbox session of its own, problems side by side on the workers."""

    def run(problems: list[list[str]]) -> list[list[ProgramRun]]:
        from mammoth_math.sandbox import open_sandbox

        def one(blocks: list[str]) -> list[ProgramRun]:
            with sandbox.session() as session:
                return [session.run(block) for block in blocks]

        with open_sandbox(timeout=timeout, memory_mb=memory_mb, workers=workers) as sandbox, \
                ThreadPoolExecutor(max_workers=sandbox.workers) as pool:
            return list(track(pool.map(one, problems), "running TIR blocks", total=len(problems), enabled=progress))

    return SessionRunner(run, _notebook_output)


def _notebook_output(result: ProgramRun) -> str:
    from mammoth_math.sandbox import notebook_output

    return notebook_output(result)


# --- splitting a program ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    code: str
    shows: str | None = None  # the name a print was added for (its value is said in prose after the output)


def split_program(program: str, max_blocks: int = MAX_BLOCKS) -> list[Block] | None:
    """The program as 1..``max_blocks`` blocks cut at top-level statements; None when it does not parse.

    Leading imports, definitions and constant assignments (setup) join the first block, trailing prints the
    last; the n statements between are cut into n // 2 + 1 near-equal runs (at most ``max_blocks``). A cut is
    made only after an assignment to one name (a ``print`` of it is added unless the block prints already) or
    after a block that prints, so every block but the last shows something.
    """
    source = unwrap_fences(program)
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if not body:
        return None
    lines = source.splitlines()
    setup = next((i for i, s in enumerate(body) if not _is_setup(s)), len(body))
    tail = len(body)
    while tail > setup and _is_print(body[tail - 1]):
        tail -= 1
    middle = tail - setup
    wanted = min(max_blocks, middle // 2 + 1)
    cuts: list[int] = []  # statement index after which a block ends
    for k in range(1, wanted):
        cut = _valid_cut(body, setup + round(k * middle / wanted) - 1, setup, tail, cuts)
        if cut is not None:
            cuts.append(cut)
    starts = [0] + [_first_line(body[c + 1]) - 1 for c in cuts]
    if any(b <= a for a, b in zip(starts, starts[1:])):  # two statements on one line: no clean cut
        return [Block(source)]
    ends = starts[1:] + [len(lines)]
    blocks = []
    for i, (start, end) in enumerate(zip(starts, ends)):
        code = "\n".join(lines[start:end]).strip("\n")
        last = i == len(ends) - 1
        stmts = body[(cuts[i - 1] + 1 if i else 0):(cuts[i] + 1 if not last else len(body))]
        name = None if last or any(_prints(s) for s in stmts) else _assigned_name(stmts[-1])
        blocks.append(Block(f"{code}\nprint({name})" if name else code, name))
    return blocks


def _valid_cut(body: list[ast.stmt], near: int, low: int, high: int, taken: list[int]) -> int | None:
    """The statement index nearest ``near`` (in ``low..high-2``, after earlier cuts) a block may end at."""
    floor = max([low] + [c + 1 for c in taken])
    candidates = [i for i in range(floor, high - 1)
                  if _assigned_name(body[i]) or any(_prints(s) for s in body[floor:i + 1])]
    return min(candidates, key=lambda i: (abs(i - near), i)) if candidates else None


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno] + [d.lineno for d in decorators])


def _is_setup(stmt: ast.stmt) -> bool:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    return isinstance(stmt, ast.Assign) and not any(isinstance(n, ast.Name) for n in ast.walk(stmt.value))


def _is_print(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
        isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "print"


def _prints(stmt: ast.stmt) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
               for n in ast.walk(stmt))


def _assigned_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and isinstance(stmt.target, ast.Name) and stmt.value:
        return stmt.target.id
    return None


# --- from verified programs ------------------------------------------------------------------------------------


def from_programs(programs: Sequence[Example], sessions: SessionRunner, max_blocks: int = MAX_BLOCKS,
                  choice_rel_tol: float = CHOICE_REL_TOL, choice_text: float = 0.0, seed: int = 0,
                  progress: bool = True) -> tuple[list[Example], list[Reject]]:
    """A TIR row for each PoT example (same source and id), outputs from really running its blocks in order.

    A multiple-choice row ends with the option's letter, or, for a ``choice_text`` share of them (picked from
    ``seed`` and the id, so a rebuild picks the same), with the option's text: the grader reads both, and an RL
    stage can only reinforce an answer form the SFT policy sometimes writes."""
    split = [(e, split_program(e.output, max_blocks)) for e in programs]
    rejects = [_reject(e, "syntax_error", "the program does not parse") for e, blocks in split if blocks is None]
    todo = [(e, blocks) for e, blocks in split if blocks is not None]
    runs = sessions.run([[b.code for b in blocks] for _, blocks in todo]) if todo else []
    kept = []
    for (example, blocks), results in track(list(zip(todo, runs)), "writing TIR rows", enabled=progress):
        row = _render(example, blocks, results, sessions.show, choice_rel_tol, _picked(example.id, seed, choice_text))
        if isinstance(row, Reject):
            rejects.append(row)
        else:
            kept.append(row)
    log.info("TIR from programs: %d of %d kept", len(kept), len(programs))
    return kept, rejects


def _render(example: Example, blocks: list[Block], results: Sequence[ProgramRun],
            show: Callable[[ProgramRun], str], choice_rel_tol: float, as_text: bool) -> Example | Reject:
    for i, result in enumerate(results):
        failure = program_failure(result)
        if failure in (ProgramFailure.TIMEOUT, ProgramFailure.ERROR):
            return _reject(example, failure.value, f"block {i + 1}: {show(result)[:200]}")
    shown = [show(r).strip("\n") for r in results]
    final = next((line.strip() for line in reversed(shown[-1].splitlines()) if line.strip()), None)
    if final is None:
        return _reject(example, ProgramFailure.NO_OUTPUT.value, "the last block printed nothing")
    parts = [MC_RESPONSE_PREFIX if example.options else "", OPENING]
    for block, output in zip(blocks, shown):
        parts += [code_block(block.code), output_block(output)]
        if block is not blocks[-1]:
            one_line = block.shows and output and "\n" not in output
            parts.append(f"So {block.shows} is {output}.\n" if one_line else "We go on from there.\n")
    parts.append(f"The answer is {_answer_text(example, final, choice_rel_tol, as_text)}.")
    row = replace(example, rationale_type="tir", output="".join(parts),
                  meta={**example.meta, "tir_from": "pot", "tool_calls": len(blocks)})
    reason = check_answer(row)
    return row if reason is None else _reject(example, *reason)


def _picked(example_id: str, seed: int, share: float) -> bool:
    """Whether ``example_id`` falls in a ``share`` of ids, the same on every run with ``seed``."""
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < share * 2**64


def _answer_text(example: Example, value: str, choice_rel_tol: float, as_text: bool) -> str:
    """The printed value, or for multiple choice the option it names (its letter, as CoT rationales end, or with
    ``as_text`` its text): the option it states, else the one nearest in value within ``choice_rel_tol`` (as
    verification reads MathQA programs)."""
    if example.kind != "choice" or not example.options:
        return value
    letter = grade(f"The answer is {value}.", example.gold, example.kind, example.options).answer
    index = LETTERS.index(letter) if letter and len(letter) == 1 and letter in LETTERS else None
    if index is None:
        from mammoth_math.data.sources.mathqa import closest_option

        try:
            closest = closest_option(float(value), example.options)
        except ValueError:
            return value
        if not closest or closest[1] > choice_rel_tol:
            return value
        index = closest[0]
    return example.options[index] if as_text else f"({LETTERS[index]})"


# --- replaying written trajectories ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    code: str
    shown: str | None  # the output block the trajectory shows after the code; None when it shows none
    start: int  # where the code block starts in the text
    end: int  # where the turn (code block and its output block) ends


def parse_trajectory(text: str) -> list[Turn]:
    """The ```python blocks of a TIR text, each with the ```output block that follows it, in order."""
    turns, pos = [], 0
    while (code := _CODE.search(text, pos)) is not None:
        output = _OUTPUT.match(text, code.end())
        end = output.end() if output else code.end()
        turns.append(Turn(code.group(1), output.group(1) if output else None, code.start(), end))
        pos = end
    return turns


def replay(trajectories: Sequence[Example], sessions: SessionRunner, progress: bool = True) -> list[Example | Reject]:
    """Each TIR example, its output blocks rewritten exactly as the replay shows them, or why it is rejected
    (``no_code``, ``missing_output``, ``output_mismatch``, then the answer's grade); one entry per input."""
    parsed = [parse_trajectory(e.output) for e in trajectories]
    runs = iter(sessions.run([[t.code for t in turns] for turns in parsed if turns]) if any(parsed) else [])
    out: list[Example | Reject] = []
    for example, turns in track(list(zip(trajectories, parsed)), "replaying TIR", enabled=progress):
        if not turns:
            out.append(_reject(example, "no_code", "no ```python block"))
            continue
        results = next(runs)
        out.append(_check_replay(example, turns, [sessions.show(r).strip("\n") for r in results]))
    return out


def _check_replay(example: Example, turns: list[Turn], replayed: list[str]) -> Example | Reject:
    text, parts, pos = example.output, [], 0
    for i, (turn, real) in enumerate(zip(turns, replayed)):
        if turn.shown is None:
            return _reject(example, "missing_output", f"block {i + 1} has no ```output block after it")
        if _normal(turn.shown) != _normal(real):
            return _reject(example, "output_mismatch",
                           f"block {i + 1}: shows {turn.shown.strip()[:80]!r}, prints {real[:80]!r}")
        parts += [text[pos:turn.start], code_block(turn.code), output_block(real)]
        pos = turn.end
    row = replace(example, output="".join(parts) + text[pos:].lstrip("\n"),
                  meta={**example.meta, "tool_calls": len(turns)})
    reason = check_answer(row)
    return row if reason is None else _reject(example, *reason)


def _normal(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def check_answer(row: Example) -> tuple[str, str] | None:
    """Why the final answer of ``row``'s text fails (reason, detail), or None; a row without a gold must at least
    state an answer. Verification checks CoT rows with it too."""
    result = grade(row.output, row.gold, row.kind, row.options)
    if result.answer is None:
        return ProgramFailure.NO_ANSWER.value, "no final answer could be extracted"
    if row.gold and not result.correct:
        return "wrong_answer", f"expected {row.gold!r}, got {result.answer!r}"
    return None


def _reject(example: Example, reason: str, detail: str) -> Reject:
    return Reject(example.source, example.id, "tir", "verify", reason, detail)
