"""TIR rows: verified programs split into blocks whose outputs come from real sandbox sessions, written
trajectories replayed (a made-up output is rejected), TIR in the build and in synthesis."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.servers import fault_server

from mammoth_math.data import build, config_from_dict
from mammoth_math.data.examples import Example, Reject, SeedProblem
from mammoth_math.data.synthesize import SynthesisConfig, synthesize
from mammoth_math.data.tir import from_programs, parse_trajectory, replay, session_runner, split_program
from mammoth_math.grading import grade
from mammoth_math.prompts import MC_RESPONSE_PREFIX, TIR_TRIGGER, code_block, output_block
from mammoth_math.synthetic import generate


@pytest.fixture(scope="module")
def sessions():
    return session_runner(timeout=2.0, workers=2, progress=False)


def test_split_at_statements_setup_first_prints_last() -> None:
    program = "a = 245\nb = 37\nc = 500\ncans = a * b\nleft = cans - c\nprint(left)\n"
    blocks = split_program(program)
    assert [b.code for b in blocks] == ["a = 245\nb = 37\nc = 500\ncans = a * b\nprint(cans)", "left = cans - c\nprint(left)"]
    assert [b.shows for b in blocks] == ["cans", None]  # a print is added only where a block shows nothing
    five = "s = 9\nt = 20\nu = s * 2\nv = t - u\nw = v * 3\nx = w + s\ny = x - 1\nprint(y)\n"
    assert len(split_program(five)) == 3 and len(split_program(five, max_blocks=1)) == 1
    # A block that prints already gets no print; a function with its call stays one block.
    printing = "import math\nr = 3\narea = math.pi * r ** 2\nprint(area)\nside = area ** 0.5\nprint(round(side, 2))\n"
    assert [b.shows for b in split_program(printing)] == [None, None]
    assert len(split_program("def solution():\n    return 6 * 7\n\nprint(solution())\n")) == 1
    assert split_program("x = (\n") is None
    # The fenced program of a multiple-choice row is read as the sandbox reads it.
    fenced = split_program(f"{MC_RESPONSE_PREFIX}```python\nx = 4\ny = x * 2\nz = y + 1\nprint(z)\n```")
    assert "```" not in "".join(b.code for b in fenced)


def test_rows_from_programs_show_what_the_session_printed(sessions) -> None:
    problems = generate(8, seed=5)
    programs = [Example("rationales", p.id, "pot", p.question, p.pot, p.gold, p.kind, p.options) for p in problems]
    kept, rejects = from_programs(programs, sessions, progress=False)
    assert rejects == [] and len(kept) == 8
    for row, problem in zip(kept, problems):
        assert row.rationale_type == "tir" and row.id == problem.id and row.source == "rationales"
        turns = parse_trajectory(row.output)
        assert 1 <= len(turns) <= 3 and row.meta["tool_calls"] == len(turns) and all(t.shown for t in turns)
        # Later blocks use names only an earlier block defined, and ran without error: one session, in order.
        assert "Error" not in row.output
        answer = f"({problem.gold})" if problem.options else problem.gold
        assert row.output.endswith(f"The answer is {answer}.")
        assert problem.options or turns[-1].shown.strip() == problem.gold
        assert row.output.startswith(MC_RESPONSE_PREFIX) == bool(problem.options)
    assert {len(parse_trajectory(r.output)) for r in kept} >= {2}


def test_a_share_of_choice_rows_names_the_option_by_its_text(sessions) -> None:
    """``choice_text``: that share of multiple-choice rows (picked from the seed and the id, the same on a rebuild)
    ends with the option's text, which grades as its letter; number rows and the other choice rows do not change."""
    problems = [p for p in generate(400, seed=3) if p.options][:60] + generate(4, seed=3)[:3]
    programs = [Example("rationales", p.id, "pot", p.question, p.pot, p.gold, p.kind, p.options) for p in problems]
    letters, _ = from_programs(programs, sessions, progress=False)
    mixed, rejects = from_programs(programs, sessions, choice_text=0.3, seed=1, progress=False)
    again, _ = from_programs(programs, sessions, choice_text=0.3, seed=1, progress=False)
    other_seed, _ = from_programs(programs, sessions, choice_text=0.3, seed=2, progress=False)
    assert rejects == [] and [r.output for r in mixed] == [r.output for r in again]
    texts = [(row, p) for row, p in zip(mixed, problems) if p.options and not row.output.endswith(f"({p.gold}).")]
    assert 8 <= len(texts) <= 30  # about 0.3 of 60
    for row, p in texts:
        assert row.output.endswith(f"The answer is {p.options['ABCDE'.index(p.gold)]}.")
        assert grade(row.output, p.gold, p.kind, p.options).correct  # the text names the gold's option
    changed = {row.id for row, _ in texts}
    assert all(a.output == b.output for a, b in zip(letters, mixed) if a.id not in changed)
    assert changed != {row.id for row, p in zip(other_seed, problems) if p.options
                       and not row.output.endswith(f"({p.gold}).")}


def test_rows_from_programs_reject_with_reasons(sessions) -> None:
    wrong = Example("t", "t/1", "pot", "q", "x = 6\ny = x * 7\nz = y - 1\nprint(z)\n", "42", "number")
    crash = Example("t", "t/2", "pot", "q", "x = 6\ny = x * 7\nz = y / 0\nprint(z)\n", "42", "number")
    silent = Example("t", "t/3", "pot", "q", "x = 6\nans = x * 7\n", "42", "number")
    kept, rejects = from_programs([wrong, crash, silent], sessions, progress=False)
    assert kept == [] and {r.id: r.reason for r in rejects} == {"t/1": "wrong_answer", "t/2": "error",
                                                                "t/3": "no output"}
    assert "ZeroDivisionError" in next(r.detail for r in rejects if r.id == "t/2")


def _trajectory(*turns: tuple[str, str], end: str = "The answer is 42.") -> str:
    return "Let's see.\n" + "".join(code_block(code) + output_block(out) + "Next.\n" for code, out in turns) + end


def test_replay_keeps_true_trajectories_and_rejects_made_up_outputs(sessions) -> None:
    def row(i: int, text: str) -> Example:
        return Example("synth", f"s/{i}", "tir", "What is 6 times 7?", text, "42", "number")

    state = _trajectory(("x = 6\nprint(x)", "6"), ("print(x * 7)", "42  \n"))  # later blocks see earlier names
    made_up = _trajectory(("x = 6\nprint(x)", "6"), ("print(x * 7)", "41"))
    error = _trajectory(("print(y)", "NameError: name 'y' is not defined"), ("print(6 * 7)", "42"))
    missing = "```python\nprint(42)\n```\nThe answer is 42."
    wrong = _trajectory(("print(6 * 7)", "42"), end="The answer is 41.")
    out = replay([row(0, state), row(1, made_up), row(2, error), row(3, missing), row(4, "The answer is 42."),
                  row(5, wrong)], sessions, progress=False)
    assert [o.reason if isinstance(o, Reject) else "kept" for o in out] == [
        "kept", "output_mismatch", "kept", "missing_output", "no_code", "wrong_answer"]
    assert out[0].output == _trajectory(("x = 6\nprint(x)", "6"), ("print(x * 7)", "42"))  # as the replay shows it
    assert "shows '41', prints '42'" in out[1].detail


def test_build_emits_tir_rows_mixable_like_cot_and_pot(train_dir: Path, tmp_path: Path, runner, sessions) -> None:
    config = config_from_dict({"train_dir": str(train_dir), "eval_dir": None, "formats": ["alpaca", "jsonl"],
                               "sources": [{"name": "gsm8k", "limit": 12, "types": ["cot", "tir"]}]})
    result = build(config, tmp_path / "out", run_programs=runner, progress=False, run_sessions=sessions)
    rows = [json.loads(line) for line in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    assert {r["rationale_type"] for r in rows} == {"cot", "tir"}  # programs read only to make TIR rows
    tir = [r for r in rows if r["rationale_type"] == "tir"]
    assert len(tir) >= 10 and all(r["instruction"].endswith(TIR_TRIGGER) and r["source"] == "gsm8k" for r in tir)
    assert all(r["output"].count("```output\n") >= 1 and "The answer is" in r["output"] for r in tir)
    assert result.report["verification"]["gsm8k/tir"]["passed"] == len(tir)
    capped = config_from_dict({**config.to_dict(), "sources": [{"name": "gsm8k", "limit": 12,
                                                                "types": ["cot", "pot", "tir"], "cap": 3}]})
    again = build(capped, tmp_path / "capped", run_programs=runner, progress=False, run_sessions=sessions)
    assert again.report["counts"] == {"gsm8k/cot": 3, "gsm8k/pot": 3, "gsm8k/tir": 3}


PROBLEMS = [SeedProblem("numglue", "numglue/t/0", "What is 6 times 7?", "42", "number"),
            SeedProblem("numglue", "numglue/t/1", "What is 40 plus 2?", "42", "number")]


def test_synthesized_trajectories_are_replayed(tmp_path: Path, runner, sessions) -> None:
    def reply(body: dict) -> str:  # the teacher makes up the second output for one of the problems
        shown = "41" if "6 times 7" in json.dumps(body) else "42"
        return _trajectory(("x = 6\nprint(x)", "6"), ("print(x * 7)", shown))

    with fault_server([], text=reply) as server:
        config = SynthesisConfig("fault", server.base_url, types=("tir",), temperature=0.0)
        usage = synthesize(PROBLEMS, config, tmp_path, run_programs=runner, progress=False, run_sessions=sessions)
    assert usage.accepted == 1 and usage.rejected == 1 and usage.reject_reasons == {"output_mismatch": 1}
    accepted = [json.loads(line) for line in (tmp_path / "accepted.jsonl").read_text().splitlines()]
    assert [(a["id"], a["rationale_type"]) for a in accepted] == [("numglue/t/1#synth-tir-0", "tir")]
    assert json.loads((tmp_path / "usage.json").read_text())["reject_reasons"] == {"output_mismatch": 1}
    with pytest.raises(ValueError, match="unknown rationale type"):
        SynthesisConfig("m", types=("tor",))


def test_a_printed_number_names_the_nearest_option(sessions) -> None:
    """MathQA programs print a value; the TIR answer names the option nearest to it, as verification reads it."""
    options = ("16.5 m", "17.7 m", "18 m", "20 m", "none of these")
    program = "def divide(a, b):\n    return a / b\n\nn0 = 53\nn1 = 3\nt0 = divide(n0, n1)\nt1 = t0 * 1\nprint(t1)\n"
    kept, rejects = from_programs([Example("mathqa", "mathqa/1", "pot", "q", program, "B", "choice", options)],
                                  sessions, progress=False)
    assert rejects == [] and kept[0].output.endswith("```output\n17.666666666666668\n```\nThe answer is (B).")
    assert kept[0].output.count("```python") == 2 and "def divide" in parse_trajectory(kept[0].output)[0].code
