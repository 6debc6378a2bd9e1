"""Reasoning-model output: split the think block from the answer before extraction reads it.

R1-style models write ``<think>...</think>`` and then their answer. Only the text after the block is an
answer; a block that never closes (the token budget ran out) holds no answer at all, so it is reported as
truncated rather than graded on the last number it happened to contain. Pure string work.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThinkTags:
    """The markers a model family uses around its reasoning (configurable: some use other tags)."""

    open: str = "<think>"
    close: str = "</think>"


@dataclass(frozen=True)
class SplitOutput:
    """An output split at its think block.

    ``answer_text`` is what extraction should read: the text after the last closing tag, the whole text
    when the output has no think block, None when the block never closed (``truncated``).
    """

    answer_text: str | None
    thinking: str
    truncated: bool


def split_thinking(text: str, tags: ThinkTags = ThinkTags(), starts_open: bool = False) -> SplitOutput:
    """Split ``text`` at its think block.

    ``starts_open``: the prompt already ended with the opening tag (DeepSeek-R1's chat template adds
    ``<think>\\n`` itself), so the output is inside the block from its first token and an output with no
    closing tag is truncated even though it shows no opening tag.
    """
    close_at = text.rfind(tags.close)
    if close_at >= 0 and text.find(tags.open, close_at) < 0:
        open_at = text.find(tags.open)
        start = open_at + len(tags.open) if 0 <= open_at < close_at else 0
        return SplitOutput(text[close_at + len(tags.close):].strip(), text[start:close_at].strip(), False)
    open_at = text.rfind(tags.open)  # the last block opened is the one left open
    if open_at >= 0 or starts_open:
        start = open_at + len(tags.open) if open_at >= 0 else 0
        return SplitOutput(None, text[start:].strip(), True)
    return SplitOutput(text, "", False)
