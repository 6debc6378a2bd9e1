"""MAmmoTH's prompts, byte for byte: zero-shot Alpaca, PoT trigger, multiple choice, few-shot, chat."""

from __future__ import annotations

from mammoth_math.benchmarks.spec import Problem
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.prompts import (
    ALPACA_NO_INPUT,
    POT_TRIGGER,
    Exemplar,
    alpaca_prompt,
    build_prompt,
    format_choices,
    stop_strings,
    with_choices,
    with_pot_trigger,
)

HEADER = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"


def _mc(question: str = "Pick one.\nAnswer Choices: (A) 1 (B) 2") -> Problem:
    return Problem("sat", "sat/0", question, "A", AnswerKind.CHOICE, ("1", "2"))


def test_zero_shot_cot_is_mammoths_alpaca_prompt() -> None:
    prompt = build_prompt("What is 2+2?")
    assert prompt == HEADER + "### Instruction:\nWhat is 2+2?\n\n### Response:"
    assert prompt == alpaca_prompt("What is 2+2?") == ALPACA_NO_INPUT.format(instruction="What is 2+2?")


def test_pot_appends_the_trigger_once() -> None:
    assert POT_TRIGGER == " Let's write a program."
    assert build_prompt("What is 2+2?", "pot") == HEADER + "### Instruction:\nWhat is 2+2? Let's write a program.\n\n### Response:"
    assert with_pot_trigger(with_pot_trigger("Q?")) == "Q? Let's write a program."


def test_multiple_choice_uses_the_alpaca_mc_response_prefix() -> None:
    prompt = build_prompt(_mc(), "cot")
    assert prompt == (HEADER + "### Instruction:\nPick one.\nAnswer Choices: (A) 1 (B) 2\n\n"
                      "### Response: Let's solve the multi-choice question step by step.\n")
    assert build_prompt(_mc(), "pot").startswith(HEADER + "### Instruction:\nPick one.\nAnswer Choices: (A) 1 (B) 2 Let's write a program.")
    open_problem = Problem("gsm8k", "gsm8k/0", "Q?", "1", AnswerKind.NUMBER)
    assert build_prompt(open_problem) == build_prompt("Q?")


def test_choices_are_laid_out_as_in_mammoths_loader() -> None:
    assert format_choices(["x", "y", "z"]) == "(A) x (B) y (C) z"
    assert with_choices("Q?", ["1", "2"]) == "Q?\nAnswer Choices: (A) 1 (B) 2"


def test_few_shot_exemplars_precede_the_question() -> None:
    shots = [Exemplar("1+1?", "1+1=2. The answer is 2."), Exemplar("2+3?", "2+3=5. The answer is 5.")]
    assert build_prompt("4+4?", "cot", shots) == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n"
        "\n### Instruction:\n1+1?\n\n### Response: 1+1=2. The answer is 2.\n"
        "\n### Instruction:\n2+3?\n\n### Response: 2+3=5. The answer is 5.\n"
        "\n### Instruction:\n4+4?\n\n### Response:"
    )
    pot = build_prompt("4+4?", "pot", [Exemplar("1+1?", "print(1 + 1)")])
    assert "### Instruction:\n1+1? Let's write a program.\n\n### Response: print(1 + 1)\n" in pot
    mc = build_prompt(_mc(), "cot", [Exemplar("Q0\nAnswer Choices: (A) 3 (B) 4", "3+1=4. The answer is (B).")])
    assert "### Response: Let's solve the multi-choice question step by step.\n3+1=4. The answer is (B).\n" in mc


def test_chat_prompts_are_messages() -> None:
    messages = build_prompt("4+4?", "pot", [Exemplar("1+1?", "print(2)")], chat=True, system="Be brief.")
    assert messages == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "1+1? Let's write a program."},
        {"role": "assistant", "content": "print(2)"},
        {"role": "user", "content": "4+4? Let's write a program."},
    )


def test_stop_strings_end_an_alpaca_answer() -> None:
    assert "### Instruction" in stop_strings() and stop_strings(chat=True) == ()
