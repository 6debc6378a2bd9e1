"""Think blocks are stripped before extraction; an unclosed block is truncated, never graded on its last number."""

from __future__ import annotations

import pytest

from mammoth_math.grading import extract_answer, is_equivalent
from mammoth_math.grading.reasoning import SplitOutput, ThinkTags, split_thinking


def test_answer_is_the_text_after_the_block() -> None:
    out = split_thinking("<think>\nMaybe 12? No: 3*4+2 = 14.\n</think>\nThe answer is $\\boxed{14}$.")
    assert out == SplitOutput("The answer is $\\boxed{14}$.", "Maybe 12? No: 3*4+2 = 14.", False)
    assert is_equivalent(extract_answer(out.answer_text), "14")


def test_a_guess_inside_the_block_is_never_the_answer() -> None:
    text = "<think>try \\boxed{12}</think>So 14 apples in all."
    assert extract_answer(split_thinking(text).answer_text).answer == "14"
    assert extract_answer(text).answer == "12"  # what grading the raw text would have done


def test_unclosed_block_is_truncated_with_no_answer() -> None:
    out = split_thinking("<think>\nLet me compute 3*4 = 12, then add 2 to get 14, and")
    assert out.truncated and out.answer_text is None
    assert out.thinking.startswith("Let me compute")
    assert not is_equivalent(extract_answer(out.answer_text), "14")


def test_template_that_opens_the_block_in_the_prompt() -> None:
    """DeepSeek-R1's template ends the prompt with <think>: the output shows only the closing tag."""
    assert split_thinking("so x = 5\n</think>\n\\boxed{5}", starts_open=True).answer_text == "\\boxed{5}"
    cut = split_thinking("so x = 5 and then", starts_open=True)
    assert cut.truncated and cut.answer_text is None
    assert split_thinking("so x = 5 and then").answer_text == "so x = 5 and then"  # no think block at all


def test_last_closing_tag_wins_and_tags_are_configurable() -> None:
    assert split_thinking("<think>a</think>draft<think>b</think> final 7").answer_text == "final 7"
    reopened = split_thinking("<think>a</think>draft 5<think>wait, let me recheck")  # cut in a second block
    assert reopened.truncated and reopened.answer_text is None and reopened.thinking == "wait, let me recheck"
    tags = ThinkTags("<|begin_of_thought|>", "<|end_of_thought|>")
    out = split_thinking("<|begin_of_thought|>hmm 3<|end_of_thought|>\nAnswer: 4", tags)
    assert (out.answer_text, out.thinking, out.truncated) == ("Answer: 4", "hmm 3", False)
    assert split_thinking("<|begin_of_thought|>hmm 3", tags).truncated


@pytest.mark.parametrize("text", ["<think>all thought</think>", "<think>x</think>   \n"])
def test_closed_block_with_nothing_after_is_an_empty_answer_not_truncation(text: str) -> None:
    out = split_thinking(text)
    assert out.answer_text == "" and not out.truncated
    assert extract_answer(out.answer_text).answer is None
