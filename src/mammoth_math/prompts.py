"""Prompt text shared by the data builder, training and evaluation, so all three agree byte for byte.

The Alpaca template is MAmmoTH's (Stanford Alpaca's ``prompt_no_input`` / ``prompt_input``): training
puts the response right after ``### Response:`` and evaluation asks for it there. The PoT trigger
" Let's write a program." is appended to the instruction, as MAmmoTH's ``run_open.py`` does.
"""

from __future__ import annotations

ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:"
)
ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)
POT_TRIGGER = " Let's write a program."


def alpaca_prompt(instruction: str, input: str = "") -> str:
    """The MAmmoTH/Alpaca prompt for one instruction (and optional input)."""
    if input:
        return ALPACA_WITH_INPUT.format(instruction=instruction, input=input)
    return ALPACA_NO_INPUT.format(instruction=instruction)


def with_pot_trigger(question: str) -> str:
    """Append the program-of-thought trigger exactly once."""
    return question if question.rstrip().endswith(POT_TRIGGER.strip()) else question + POT_TRIGGER
