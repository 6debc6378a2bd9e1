"""Prompt kinds are an open vocabulary: a kind declared outside ``prompts.py`` builds prompts like the shipped ones."""

from __future__ import annotations

import pytest

from mammoth_math.prompts import (
    ALPACA_HEADER,
    POT_KIND,
    PROMPT_KINDS,
    Exemplar,
    PromptKind,
    build_prompt,
    prompt_kind,
)

SKETCH = PromptKind("sketch", " Sketch it first.")  # what a strategy's own module would declare


def test_a_kind_declared_here_builds_alpaca_and_chat_prompts() -> None:
    shot = Exemplar("1+1?", "sketch: 1 + 1")
    assert build_prompt("2+2?", SKETCH, [shot]) == (
        ALPACA_HEADER + "\n### Instruction:\n1+1? Sketch it first.\n\n### Response: sketch: 1 + 1\n"
        "\n### Instruction:\n2+2? Sketch it first.\n\n### Response:")
    assert build_prompt("2+2? Sketch it first.", SKETCH) == build_prompt("2+2?", SKETCH)  # the trigger once
    assert build_prompt("2+2?", SKETCH, [shot], chat=True, system="Be brief.") == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "1+1? Sketch it first."},
        {"role": "assistant", "content": "sketch: 1 + 1"},
        {"role": "user", "content": "2+2? Sketch it first."})
    assert "sketch" not in PROMPT_KINDS  # declared, never registered


def test_shipped_kinds_by_object_or_name() -> None:
    assert prompt_kind("pot") is POT_KIND and prompt_kind(SKETCH) is SKETCH
    assert build_prompt("2+2?", POT_KIND) == build_prompt("2+2?", "pot")
    assert [k.name for k in PROMPT_KINDS.values() if k.train_exemplars] == ["cot"]  # train splits hold rationales
    with pytest.raises(ValueError, match="unknown prompt kind 'sketch'; known: cot, pot, tir"):
        build_prompt("2+2?", "sketch")
