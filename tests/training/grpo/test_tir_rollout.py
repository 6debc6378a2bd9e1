"""TIR rollouts for GRPO at token level: the model's tokens stay as sampled, the sandbox's output block is
spliced in with ``env_mask`` 0 on exactly its tokens, under byte-level BPE and SentencePiece; the transcript
the reward reads holds the real outputs; rollouts of one batch each run in a session of their own. A scripted
generator stands in for the model (its turns are known text); the blocks run in real sandbox sessions."""

from __future__ import annotations

import pytest

from mammoth_math.prompts import build_prompt, code_block, output_block
from mammoth_math.sandbox import Sandbox
from mammoth_math.training.grpo.rewards import Rewarder, Target
from mammoth_math.training.grpo.tir import _model_generate, _StopAt, closed_block, own_tokens, tir_rollouts

from ..test_tool_output_mask import TOKENIZERS

TURNS = ["We multiply first.\n" + code_block("x = 127 * 14\nprint(x)"),
         "Then subtract.\n" + code_block("print(x - 14)\nprint(y)"),
         "So the answer is 1764. The answer is 1764."]
OUTPUTS = ["1778", "1764\nNameError: name 'y' is not defined"]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(timeout=3.0, workers=1) as sb:
        yield sb


def scripted(tokenizer, scripts: dict[tuple[int, ...], list[str]]):
    """A batch generator: the rollout of prompt P writes ``scripts[P]`` one turn per call (its last turn ends
    with EOS). Records the token ids each prompt's rollout wrote and the size of every batch."""
    written: dict[tuple[int, ...], list[list[int]]] = {p: [] for p in scripts}
    batches: list[int] = []

    def generate(batch, budgets, stop):
        batches.append(len(batch))
        out = []
        for ids, budget in zip(batch, budgets):
            prompt = next(p for p in scripts if tuple(ids[:len(p)]) == p)
            turns, done = scripts[prompt], written[prompt]
            new = tokenizer(turns[len(done)], add_special_tokens=False)["input_ids"]
            if len(done) == len(turns) - 1:
                new = [*new, tokenizer.eos_token_id]
            done.append(new[:budget])
            out.append(done[-1])
        return out

    return generate, written, batches


@pytest.mark.parametrize("kind", TOKENIZERS)
def test_output_tokens_are_masked_exactly(kind: str, sandbox) -> None:
    tok = TOKENIZERS[kind]()
    prompt_ids = tok(build_prompt("What is 127 times 14, minus 14?", "tir"))["input_ids"]
    generate, written, _ = scripted(tok, {tuple(prompt_ids): TURNS})
    [r] = tir_rollouts([prompt_ids], generate, tok, sandbox, max_tokens=4096, max_tool_calls=4)
    written = written[tuple(prompt_ids)]
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
    prompt = (tok.bos_token_id,)
    generate, written, _ = scripted(tok, {prompt: TURNS})
    [r] = tir_rollouts([list(prompt)], generate, tok, sandbox, max_tokens=4096, max_tool_calls=1)
    assert len(written[prompt]) == 2 and r.outputs == OUTPUTS[:1]  # the second block is past the cap: it never runs
    generate, written, _ = scripted(tok, {prompt: TURNS})
    [r] = tir_rollouts([list(prompt)], generate, tok, sandbox, max_tokens=12, max_tool_calls=4)
    assert len(r.ids) <= 12 and len(r.ids) == len(r.mask)


def test_a_batch_of_rollouts_each_in_its_own_session(sandbox) -> None:
    """Three rollouts in one batch: each turn generates for all that are still going, and a name one rollout's
    block defines is not there for another's (no state crosses between rollouts)."""
    tok = TOKENIZERS["byte-level-bpe"]()
    answers_at_once = ["The answer is 3."]
    defines = ["Set it.\n" + code_block("secret = 41\nprint(secret + 1)"), "The answer is 42."]
    peeks = ["Look.\n" + code_block("print(1)"), "Again.\n" + code_block("print(secret)"), "The answer is 1."]
    prompts = [tok(f"Problem {k}.", add_special_tokens=False)["input_ids"] for k in range(3)]
    scripts = dict(zip(map(tuple, prompts), [answers_at_once, defines, peeks]))
    generate, written, batches = scripted(tok, scripts)
    first, second, third = tir_rollouts(prompts, generate, tok, sandbox, max_tokens=4096, max_tool_calls=4)
    assert batches == [3, 2, 1]  # every rollout, then the two that ran a block, then the one that ran two
    assert (first.outputs, second.outputs) == ([], ["42"])
    assert third.outputs[0] == "1" and "NameError" in third.outputs[1]
    assert first.transcript == answers_at_once[0] and third.transcript.endswith("The answer is 1.")
    assert [sum(r.mask) for r in (first, second, third)] == [sum(map(len, written[p])) for p in scripts]


def test_own_tokens_cut_a_finished_row_of_a_batch() -> None:
    """A batched row that stopped is padded (EOS as padding here): only what the model wrote is kept, an EOS it
    wrote once, and a stop string's row up to the token that completes the closing fence."""
    tok = TOKENIZERS["byte-level-bpe"]()
    eos = tok.eos_token_id
    block = tok("Go.\n```python\nprint(1)\n```\n", add_special_tokens=False)["input_ids"]
    more = tok("More text", add_special_tokens=False)["input_ids"]
    assert own_tokens([*block, eos, eos, eos], tok, stop=True) == block
    assert own_tokens([*block, *more], tok, stop=True) == block
    assert own_tokens([*block, eos, eos], tok, stop=False) == [*block, eos]  # no stop asked: the fence is text
    assert own_tokens([*more, eos, eos], tok, stop=True) == [*more, eos]
    assert own_tokens(more, tok, stop=True) == more  # cut by the budget: all of it is the model's


def test_closed_block_cuts_the_turn_after_its_fence() -> None:
    turn = "Compute.\n" + code_block("print(1)") + "```output\n7\n```\n"
    assert closed_block(turn) == ("Compute.\n" + code_block("print(1)"), "print(1)")
    assert closed_block("No code. The answer is 3.") == ("No code. The answer is 3.", None)
    assert closed_block("```python\nprint(1)\n") == ("```python\nprint(1)\n", None)  # cut by the token limit


def test_stop_criterion_reads_only_what_a_row_generated() -> None:
    """A row is done once a stop string shows after the prompt's columns; one inside the prompt does not count."""
    import torch

    tok = TOKENIZERS["byte-level-bpe"]()
    prompt = tok("Earlier turn:\n```python\nprint(1)\n```\n", add_special_tokens=False)["input_ids"]
    plain = tok("Now more prose", add_special_tokens=False)["input_ids"]
    closing = tok("x\n```python\nprint(2)\n```\n", add_special_tokens=False)["input_ids"]
    width = len(prompt)
    rows = [prompt + plain + plain[:1] * (len(closing) - len(plain)), prompt + closing]
    done = _StopAt(tok, width)(torch.tensor([r[:width + len(closing)] for r in rows]), None)
    assert done.tolist() == [False, True]


def test_a_batched_generation_gives_each_row_what_it_writes_alone() -> None:
    """Left-padded rows of different lengths, greedy: each row gets the tokens it generates on its own, cut to its
    own budget."""
    from types import SimpleNamespace

    from accelerate import Accelerator
    from helpers.tiny_model import build_tiny_model
    from transformers import GenerationConfig

    model, tok = build_tiny_model()
    trainer = SimpleNamespace(processing_class=tok, generation_config=GenerationConfig(do_sample=False),
                              accelerator=Accelerator(cpu=True), model_wrapped=model)
    generate = _model_generate(trainer)
    prompts = [tok(q)["input_ids"] for q in ("What is 7 times 8?", "Tom packs 12 boxes of 30 apples and sells "
                                             "half of them. How many apples are left?", "x = 3. Find 2x.")]
    budgets = [12, 5, 9]
    batch = generate(prompts, budgets, True)
    alone = [generate([p], [b], True)[0] for p, b in zip(prompts, budgets)]
    assert batch == alone and all(0 < len(row) <= budget for row, budget in zip(batch, budgets))
    assert all(tok.pad_token_id not in row for row in batch)
