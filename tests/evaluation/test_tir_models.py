"""TIR end to end with a real model: the tiny Llama taught (here, in seconds) to write a code block, stop, read
the real output and answer, run through the hf backend (Alpaca and chat prompts) and a real ``transformers serve``.

The model learns each turn on exactly the prompt the loop sends, so greedy decoding reproduces it. What it
must not know is the tool's output: its code prints a computed value (``16 - 3 - 4``), the records must hold
the value the sandbox printed, and the next prompt must hold it as an output block.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.browser import browser  # noqa: F401  (fixture: headless chromium)
from helpers.servers import serve_model
from helpers.taught_model import teach

from mammoth_math.backends import make_backend
from mammoth_math.backends.base import render_chat
from mammoth_math.cli import main
from mammoth_math.evaluation import EvalConfig, build_report, evaluate, read_problem_records
from mammoth_math.prompts import PROMPT_STYLES, build_prompt, code_block, output_block, styled_prompt

# question, gold, then per turn: (code, what it prints) and the final words
PROBLEMS = [
    ("Janet's ducks lay 16 eggs per day. She eats 3 and bakes with 4. How many are left?", "9",
     [("print(16 - 3 - 4)", "9")], "The answer is \\boxed{9}."),
    ("A train travels 12 km each hour. How far does it go in 2 hours?", "24",
     [("x = 12\nprint(x)", "12"), ("print(x * 2)", "24")], "The answer is \\boxed{24}."),
]


def _answer_turns(code_outputs: list[tuple[str, str]], final: str) -> list[tuple[str, str]]:
    """(answer so far, what the model writes next) for each turn of one problem."""
    turns, so_far = [], ""
    for code, printed in code_outputs:
        turns.append((so_far, code_block(code)))
        so_far += code_block(code) + output_block(printed)
    return [*turns, (so_far, final)]


def _pairs(tokenizer) -> list[tuple[str, str]]:
    """Every turn, on its Alpaca prompt and on its Qwen2.5-Math TIR chat prompt, continued as the loop does."""
    pairs = []
    for question, _, code_outputs, final in PROBLEMS:
        alpaca, chat = build_prompt(question, "tir"), styled_prompt(question, "qwen25-math-tir")
        for so_far, target in _answer_turns(code_outputs, final):
            pairs.append((alpaca + so_far, target))
            messages = (*chat, {"role": "assistant", "content": so_far}) if so_far else chat
            pairs.append((render_chat(tokenizer, messages), target))
    return pairs


@pytest.fixture(scope="module")
def tir_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers.tiny_model import build_tiny_tokenizer

    model, tok = teach(_pairs(build_tiny_tokenizer()), max_steps=150)
    path = tmp_path_factory.mktemp("tir-llama")
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data" / "gsm8k").mkdir(parents=True)
    rows = [json.dumps({"question": q, "answer": f"Working.\n#### {gold}"}) + "\n" for q, gold, *_ in PROBLEMS]
    (tmp_path / "data" / "gsm8k" / "gsm8k.jsonl").write_text("".join(rows))
    return tmp_path / "data"


def _check_run(run_dir: Path) -> None:
    """Both problems right, each block run with its real output in the records and in the answer text."""
    records = read_problem_records(run_dir / "gsm8k.jsonl")
    assert [(r.answer, r.correct, r.path) for r in records] == [("9", True, "tir"), ("24", True, "tir")]
    for record, (_, _, code_outputs, final) in zip(records, PROBLEMS):
        (attempt,) = record.attempts
        assert [(t.code, t.output, t.error) for t in attempt.turns] == [
            *((code, printed, None) for code, printed in code_outputs), (None, None, None)]
        assert attempt.text == _answer_turns(code_outputs, final)[-1][0] + final
        assert all(t.seconds > 0 for t in attempt.turns[:-1])


@pytest.mark.slow
@pytest.mark.parametrize("style", ["mammoth", "qwen25-math-tir"])
def test_tir_through_hf(tir_model_dir, data_dir, sandbox, tmp_path, style):
    out = tmp_path / "out"
    config = EvalConfig(str(tir_model_dir), ["gsm8k"], str(out), mode="tir", data_dir=str(data_dir),
                        max_new_tokens=40, prompt_style=style, progress=False)
    scores = evaluate(config, sandbox=sandbox)
    _check_run(out / "tir")
    assert PROMPT_STYLES[style].chat == isinstance(read_problem_records(out / "tir" / "gsm8k.jsonl")[0].prompt, list)
    tools = scores["gsm8k"].tools
    assert (tools.mean_calls, tools.max_calls, tools.hit_cap, tools.raised) == (1.5, 2, 0.0, 0.0)
    assert build_report(out).tools["tir"]["gsm8k"] == tools


@pytest.mark.slow
def test_tir_through_transformers_serve(tir_model_dir, data_dir, sandbox, tmp_path):
    """Alpaca text on /v1/completions; and the chat style there too (the server's chat endpoint cannot continue
    an assistant message: the client renders the template, as for any server without continue_final_message)."""
    with serve_model(tir_model_dir, tmp_path) as server:
        for style, endpoint in (("mammoth", "auto"), ("qwen25-math-tir", "completions")):
            backend = make_backend("openai", server.model, base_url=server.base_url, concurrency=4,
                                   endpoint=endpoint)
            config = EvalConfig(server.model, ["gsm8k"], str(tmp_path / style), backend="openai", mode="tir",
                                data_dir=str(data_dir), max_new_tokens=40, prompt_style=style, progress=False)
            evaluate(config, backend, sandbox)
            _check_run(tmp_path / style / "tir")
    meta = json.loads((tmp_path / "mammoth" / "tir" / "run.json").read_text())
    assert meta["config"]["max_tool_calls"] == 4 and meta["backend"]["backend"] == "openai"


@pytest.mark.slow
def test_tir_from_the_cli_and_its_conversation_on_the_page(tir_model_dir, data_dir, tmp_path, capsys, browser):
    out = tmp_path / "out"
    assert main(["eval", "--model", str(tir_model_dir), "--datasets", "gsm8k", "--data-dir", str(data_dir),
                 "--output-dir", str(out), "--mode", "tir", "--max-tool-calls", "3", "--max-new-tokens", "40",
                 "--no-cache"]) == 0
    assert "tool calls per problem (mean / max)" in capsys.readouterr().out
    _check_run(out / "tir")
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "tool use" in printed and "1.50 / 2" in printed

    browser("Page.enable")
    browser("Page.navigate", url=(out / "report.html").as_uri())
    browser.wait_for("document.readyState === 'complete' && document.querySelectorAll('#problems tr.row').length > 0")
    key = f"tir|{read_problem_records(out / 'tir' / 'gsm8k.jsonl')[1].id}"
    browser.js(f"openProblem({json.dumps(key)})")
    browser.wait_for("!document.getElementById('detail').hidden")
    detail = browser.js("document.getElementById('detail').innerText")
    _, first, second, last = detail.split("model, turn ")  # the conversation, turn by turn
    assert "x = 12" in first and "tool output" in first and first.rstrip().endswith("12")
    assert "print(x * 2)" in second and "tool output" in second and second.rstrip().endswith("24")
    assert "The answer is \\boxed{24}." in last and "tool output" not in last
