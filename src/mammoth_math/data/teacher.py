"""What a teacher model is asked and how its program is read back: shared by ``data synthesize`` (an API teacher)
and ``data distill`` (its ``instruct`` prompt), so both ask the same questions and keep programs by one rule.
"""

from __future__ import annotations

from mammoth_math.sandbox.program import unwrap_fences

PROMPTS = {
    "cot": "Solve the following math problem step by step. End with \"The answer is X.\"\n\n{question}",
    "pot": "Write a Python program that solves the following math problem and prints the final answer. "
           "Reply with the program only.\n\n{question}",
    "tir": "Solve the following math problem step by step, running Python where it helps. Put each piece of code "
           "in a ```python block that prints what you need, and right after it the exact printed output in an "
           "```output block. End with \"The answer is X.\"\n\n{question}",
}


def extract_program(text: str) -> str | None:
    """The reply's program as the sandbox reads one (its fenced Python blocks, else the reply), if it parses
    and prints; else None."""
    import ast

    code = unwrap_fences(text)
    try:
        ast.parse(code)
    except SyntaxError:
        return None
    return code.strip() + "\n" if "print(" in code else None
