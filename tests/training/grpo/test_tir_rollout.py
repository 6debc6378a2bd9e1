"""TIR rollouts for GRPO at token level: the model's tokens stay as sampled, the sandbox's output block is
spliced in with ``env_mask`` 0 on exactly its tokens, under byte-level BPE and SentencePiece; the transcript
the reward reads holds the real outputs. A scripted generator stands in for the model (its turns are known
text); the blocks run in a real sandbox session."""

from __future__ import annotations

import pytest

from mammoth_math.prompts import build_prompt, code_block, output_block
from mammoth_math.sandbox import Sandbox
from mammoth_math.training.grpo.rewards import Rewarder, Target
from mammoth_math.training.grpo.tir import closed_block, tir_rollout

from ..test_tool_output_mask import TOKENIZERS

TURNS = ["We multiply first.\n" + code_block("x = 127 * 14\nprint(x)"),
         "Then subtract.\n" + code_block("print(x - 14)\nprint(y)"),
         "So the answer is 1764. The answer is 1764."]
OUTPUTS = ["1778", "1764\nNameError: name 'y' is not defined"]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(timeout=3.0, workers=1) as sb:
        yield sb


def scripted(tokenizer, turns: list[str]):
    """A generator that writes ``turns`` one per call (the last one ends with EOS), recording its token ids."""
    written: list[list[int]] = []

    def generate(ids, max_new, stop):
        turn = turns[len(written)]
        new = tokenizer(turn, add_special_tokens=False)["input_ids"]
        if len(written) == len(turns) - 1:
            new = [*new, tokenizer.eos_token_id]
        written.append(new[:max_new])
        return written[-1]

    return generate, written


@pytest.mark.parametrize("kind", TOKENIZERS)
def test_output_tokens_are_masked_exactly(kind: str, sandbox) -> None:
    tok = TOKENIZERS[kind]()
    prompt_ids = tok(build_prompt("What is 127 times 14, minus 14?", "tir"))["input_ids"]
    generate, written = scripted(tok, TURNS)
    with sandbox.session() as session:
        r = tir_rollout(prompt_ids, generate, tok, session, max_tokens=4096, max_tool_calls=4)
    assert r.outputs == OUTPUTS
    spliced = [tok(output_block(o), add_special_tokens=False)["input_ids"] for o in OUTPUTS]
    # model turn, output, model turn, output, model turn: the mask is 1, 0, 1, 0, 1 over exactly those runs
    expected_ids, expected_mask = [], []
    for model_ids, tool_ids in zip(written, [*spliced, []]):
        expected_ids += model_ids + tool_ids
        expected_mask += [1] * len(model_ids) + [0] * len(tool_ids)
    assert (r.ids, r.mask) == (expected_ids, expected_mask)
    assert r.ids[-1] == tok.eos_token_id and r.mask[-1] == 1
    assert r.transcript == TURNS[0] + output_block(OUTPUTS[0]) + TURNS[1] + output_block(OUTPUTS[1]) + TURNS[2]
    masked = tok.decode([i for i, m in zip(r.ids, r.mask) if m == 0])
    assert "1778" in masked and "NameError" in masked and "print" not in masked and "answer" not in masked
    gold = Target("1764", "number", None, "What is 127 times 14, minus 14?")
    readings = Rewarder(sandbox).read([r.transcript], [gold], ["tir"], [r.outputs])
    assert readings[0].reward == 1.0
    lied = r.transcript.replace(output_block(OUTPUTS[0]), output_block("1764"))
    assert Rewarder(sandbox).read([lied], [gold], ["tir"], [r.outputs])[0].reward == 0.0


def test_call_cap_and_budget(sandbox) -> None:
    tok = TOKENIZERS["byte-level-bpe"]()
    generate, written = scripted(tok, TURNS)
    with sandbox.session() as session:
        r = tir_rollout([tok.bos_token_id], generate, tok, session, max_tokens=4096, max_tool_calls=1)
    assert len(written) == 2 and r.outputs == OUTPUTS[:1]  # the second block is past the cap: it never runs
    generate, written = scripted(tok, TURNS)
    with sandbox.session() as session:
        r = tir_rollout([tok.bos_token_id], generate, tok, session, max_tokens=12, max_tool_calls=4)
    assert len(r.ids) <= 12 and len(r.ids) == len(r.mask)


def test_closed_block_cuts_the_turn_after_its_fence() -> None:
    turn = "Compute.\n" + code_block("print(1)") + "```output\n7\n```\n"
    assert closed_block(turn) == ("Compute.\n" + code_block("print(1)"), "print(1)")
    assert closed_block("No code. The answer is 3.") == ("No code. The answer is 3.", None)
    assert closed_block("```python\nprint(1)\n") == ("```python\nprint(1)\n", None)  # cut by the token limit
