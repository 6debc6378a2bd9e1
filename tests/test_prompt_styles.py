"""Prompt styles: each model family's documented system / user prompt; the MAmmoTH Alpaca prompt stays the default."""

from __future__ import annotations

import pytest

from mammoth_math.benchmarks.spec import Problem
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.prompts import PROMPT_STYLES, build_prompt, styled_prompt

Q = "What is $1+1$?"


def test_default_style_is_mammoths_alpaca_prompt() -> None:
    assert styled_prompt(Q) == build_prompt(Q)
    assert not PROMPT_STYLES["mammoth"].chat


def test_qwen25_math_puts_its_instruction_in_the_system_message() -> None:
    assert styled_prompt(Q, "qwen25-math-cot") == (
        {"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
        {"role": "user", "content": Q},
    )


def test_deepseek_r1_has_no_system_message_and_thinks() -> None:
    messages = styled_prompt(Q, "deepseek-r1")
    assert [m["role"] for m in messages] == ["user"]
    assert messages[0]["content"] == Q + "\nPlease reason step by step, and put your final answer within \\boxed{}."
    assert PROMPT_STYLES["deepseek-r1"].thinks and not PROMPT_STYLES["qwen25-math-cot"].thinks


def test_user_template_keeps_braces_of_the_question_and_options() -> None:
    problem = Problem("mmlu_stem", "mmlu_stem/0", "Is {x} in $\\{1\\}$?\nAnswer Choices: (A) yes (B) no", "A",
                      AnswerKind.CHOICE, ("yes", "no"))
    content = styled_prompt(problem, "openmath-nemotron")[-1]["content"]
    assert content.endswith("\\boxed{}.\n\n" + problem.question)


def test_every_style_names_its_source_and_unknown_styles_fail() -> None:
    assert all(s.source for s in PROMPT_STYLES.values())
    with pytest.raises(ValueError, match="unknown prompt style 'nope'"):
        styled_prompt(Q, "nope")
