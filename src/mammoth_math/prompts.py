"""Prompt text shared by the data builder, training and evaluation, so all three agree byte for byte.

The Alpaca template is MAmmoTH's (Stanford Alpaca's ``prompt_no_input`` / ``prompt_input``): training
puts the response right after ``### Response:`` and evaluation asks for it there. The PoT trigger
" Let's write a program." is appended to the instruction, as MAmmoTH's ``run_open.py`` does; multiple
choice uses its ``alpaca_mc`` form (``run_choice.py``'s default). :func:`build_prompt` is the one entry; what
it asks for is a :class:`PromptKind`, and a strategy with a kind of its own declares it in its own module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# MAmmoTH's prompt_utils: this header, then per exemplar "\n### Instruction:...### Response: {answer}\n", then the
# query; with no exemplars that is exactly Alpaca's prompt_no_input.
ALPACA_HEADER = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n"
)
ALPACA_NO_INPUT = ALPACA_HEADER + "\n### Instruction:\n{instruction}\n\n### Response:"
ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
)
POT_TRIGGER = " Let's write a program."
TIR_TRIGGER = " Let's reason step by step and run Python code where it helps."
# A TIR answer, as the model writes it and as training data shows it: prose, a ```python block, the
# ```output block the sandbox filled in, more prose ..., then the final answer.
CODE_FENCE, OUTPUT_FENCE, CLOSING_FENCE = "```python\n", "```output\n", "```\n"
MC_RESPONSE_PREFIX = " Let's solve the multi-choice question step by step.\n"  # the ``alpaca_mc`` form
CHOICES_LABEL = "Answer Choices: "
LETTERS = "ABCDEFGHIJ"
# Where an Alpaca-format answer ends: the model starting a new turn. Chat prompts end on the template's EOS.
STOP_STRINGS: tuple[str, ...] = ("### Instruction", "### Response")

Messages = tuple[dict[str, str], ...]


@dataclass(frozen=True)
class PromptKind:
    """What a prompt asks for, and how it asks: ``trigger`` is appended to every instruction, exactly once.

    ``train_exemplars``: a benchmark's train split holds responses of this kind (rationales, not programs),
    so ``--few-shot --train-dir`` can draw exemplars for it.
    """

    name: str
    trigger: str = ""
    train_exemplars: bool = False

    def instruction(self, question: str) -> str:
        """``question`` as this kind asks it: the trigger appended unless it already ends the question."""
        if not self.trigger or question.rstrip().endswith(self.trigger.strip()):
            return question
        return question + self.trigger


# The shipped kinds: prose steps; a program (the PoT trigger appended); prose interleaved with code blocks whose
# outputs come back (tool-integrated reasoning, the TIR trigger appended).
COT_KIND = PromptKind("cot", train_exemplars=True)
POT_KIND = PromptKind("pot", POT_TRIGGER)
TIR_KIND = PromptKind("tir", TIR_TRIGGER)
PROMPT_KINDS: dict[str, PromptKind] = {kind.name: kind for kind in (COT_KIND, POT_KIND, TIR_KIND)}


def prompt_kind(kind: PromptKind | str) -> PromptKind:
    """``kind`` itself, or the shipped kind of that name."""
    if isinstance(kind, PromptKind):
        return kind
    if kind not in PROMPT_KINDS:
        raise ValueError(f"unknown prompt kind {kind!r}; known: {', '.join(PROMPT_KINDS)} (or pass a PromptKind)")
    return PROMPT_KINDS[kind]


def alpaca_prompt(instruction: str, input: str = "") -> str:
    """The MAmmoTH/Alpaca prompt for one instruction (and optional input)."""
    if input:
        return ALPACA_WITH_INPUT.format(instruction=instruction, input=input)
    return ALPACA_NO_INPUT.format(instruction=instruction)


def with_pot_trigger(question: str) -> str:
    """Append the program-of-thought trigger exactly once."""
    return POT_KIND.instruction(question)


def with_tir_trigger(question: str) -> str:
    """Append the tool-integrated reasoning trigger exactly once."""
    return TIR_KIND.instruction(question)


def code_block(code: str) -> str:
    """A TIR code block: ```python fence, the code, the closing fence (ends in a newline)."""
    return f"{CODE_FENCE}{code.strip(chr(10))}\n{CLOSING_FENCE}"


def output_block(output: str) -> str:
    """A TIR output block (what the sandbox printed, as ``sandbox.notebook_output`` shows it)."""
    return f"{OUTPUT_FENCE}{output.strip(chr(10))}\n{CLOSING_FENCE}"


def format_choices(options: Sequence[str]) -> str:
    """``(A) x (B) y ...``: how MAmmoTH's loaders lay out MMLU options after ``Answer Choices: ``."""
    if len(options) > len(LETTERS):
        raise ValueError(f"at most {len(LETTERS)} options, got {len(options)}")
    return " ".join(f"({letter}) {text}" for letter, text in zip(LETTERS, options))


def with_choices(question: str, options: Sequence[str]) -> str:
    """The question followed by ``\\nAnswer Choices: (A) ...`` (MAmmoTH's MMLU layout)."""
    return f"{question}\n{CHOICES_LABEL}{format_choices(options)}"


@dataclass(frozen=True)
class Exemplar:
    """One few-shot demonstration: a question and the response to show (a rationale, or a program for PoT)."""

    question: str
    answer: str


class PromptSource(Protocol):
    """Anything with a question and its options (``mammoth_math.benchmarks.Problem`` is one)."""

    question: str
    options: tuple[str, ...] | None


def build_prompt(
    problem: PromptSource | str,
    kind: PromptKind | str = COT_KIND,
    exemplars: Sequence[Exemplar] = (),
    chat: bool = False,
    system: str | None = None,
) -> str | Messages:
    """The prompt for one problem: MAmmoTH's Alpaca text, or chat messages when ``chat``.

    ``kind`` (a :class:`PromptKind`, or a shipped kind's name) turns every instruction, the exemplars' too,
    into what it asks for (``pot`` appends its trigger); a problem with options gets the multiple-choice
    response prefix. Chat messages go to a chat endpoint or the tokenizer's chat template as they are:
    user/assistant turns for the exemplars, then the question.
    """
    question = problem if isinstance(problem, str) else problem.question
    multiple_choice = not isinstance(problem, str) and bool(problem.options)
    instruction = prompt_kind(kind).instruction
    if chat:
        messages: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
        for ex in exemplars:
            messages.append({"role": "user", "content": instruction(ex.question)})
            messages.append({"role": "assistant", "content": ex.answer})
        return (*messages, {"role": "user", "content": instruction(question)})
    response = MC_RESPONSE_PREFIX if multiple_choice else ""
    shots = "".join(
        f"\n### Instruction:\n{instruction(ex.question)}\n\n### Response:{response or ' '}{ex.answer}\n"
        for ex in exemplars
    )
    header = f"{system}\n" if system else ALPACA_HEADER
    return f"{header}{shots}\n### Instruction:\n{instruction(question)}\n\n### Response:{response}"


def reward_input(question: str, solution: str) -> str:
    """The one text an outcome reward model reads for a solution: ``train --method rm`` trains on it and
    ``eval --reward-model`` scores it, so the two never drift apart."""
    return f"Question: {question}\n\nSolution: {solution}"


# Math-Shepherd and Qwen2.5-Math-PRM split a solution into steps at blank lines; a PRM is scored as it was trained.
STEP_SEPARATOR = "\n\n"


def split_steps(solution: str, separator: str = STEP_SEPARATOR) -> list[str]:
    r"""A solution's steps: the non-blank pieces between separators.

    >>> split_steps("Add 2 and 3.\n\nThat is 5.\n\n\n\nThe answer is 5.")
    ['Add 2 and 3.', 'That is 5.', 'The answer is 5.']
    """
    return [step.strip() for step in solution.split(separator) if step.strip()]


class _Encodes(Protocol):
    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...


def prm_tokens(tokenizer: _Encodes, question: str, steps: Sequence[str],
               separator: str = STEP_SEPARATOR) -> tuple[list[int], list[int]]:
    """The token ids a process reward model reads for ``steps`` and the position of each step's last token,
    where its score is read (``train --method prm`` labels those positions, ``eval --process-reward-model``
    reads them). Each step is tokenized on its own, so a step's end never merges into the next token."""
    ids = tokenizer.encode(reward_input(question, ""), add_special_tokens=True)
    ends = []
    for step in steps:
        ids += tokenizer.encode(step + separator, add_special_tokens=False)  # ends on the separator's token
        ends.append(len(ids) - 1)
    return ids, ends


def stop_strings(chat: bool = False) -> tuple[str, ...]:
    """Stop strings for a prompt built by :func:`build_prompt` (none for chat: the template's EOS ends it)."""
    return () if chat else STOP_STRINGS


# --- prompt styles of current model families (``--prompt-style``) ------------------------------------------------

BOXED_COT = "Please reason step by step, and put your final answer within \\boxed{}."


@dataclass(frozen=True)
class PromptStyle:
    """How one model family is asked a math question, as its model card documents.

    ``user`` wraps the question (``{question}`` marks where it goes); ``system`` is the system message,
    if the family uses one; ``thinks`` says the model writes a think block before its answer; ``rationale``
    is the kind of answer the prompt asks for (a TIR prompt is answered with code blocks run as they come).
    """

    name: str
    chat: bool
    system: str | None = None
    user: str = "{question}"
    thinks: bool = False
    source: str = ""
    rationale: PromptKind = COT_KIND


PROMPT_STYLES: dict[str, PromptStyle] = {s.name: s for s in (
    PromptStyle("mammoth", chat=False, source="MAmmoTH's Alpaca prompt (the default)"),
    PromptStyle("qwen25-math-cot", chat=True, system=BOXED_COT,
                source="Qwen2.5-Math model card: CoT system message"),
    PromptStyle("qwen25-math-tir", chat=True,
                system="Please integrate natural language reasoning with programs to solve the problem above, "
                       "and put your final answer within \\boxed{}.",
                source="Qwen2.5-Math model card: tool-integrated reasoning system message", rationale=TIR_KIND),
    PromptStyle("deepseek-r1", chat=True, user="{question}\n" + BOXED_COT, thinks=True,
                source="DeepSeek-R1 model card: no system prompt, the instruction in the user turn"),
    PromptStyle("openmath-nemotron", chat=True,
                user="Solve the following math problem. Make sure to put the answer (and only answer) inside "
                     "\\boxed{}.\n\n{question}", thinks=True,
                source="OpenMath-Nemotron model card: user prompt"),
)}


def styled_prompt(problem: PromptSource | str, style: str = "mammoth") -> str | Messages:
    """The prompt for one problem in a family's documented style (Alpaca CoT text for ``mammoth``)."""
    if style not in PROMPT_STYLES:
        raise ValueError(f"unknown prompt style {style!r}; known: {', '.join(PROMPT_STYLES)}")
    spec = PROMPT_STYLES[style]
    if not spec.chat:
        return build_prompt(problem)
    question = problem if isinstance(problem, str) else problem.question
    system = ({"role": "system", "content": spec.system},) if spec.system else ()
    return (*system, {"role": "user", "content": spec.user.replace("{question}", question)})
