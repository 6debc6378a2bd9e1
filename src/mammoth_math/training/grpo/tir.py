"""TIR rollouts for GRPO, through TRL's ``rollout_func`` hook: generation stops at a closed code block, the block
runs in that rollout's sandbox session, the real output is appended, generation goes on (at most
``max_tool_calls`` blocks), as the evaluation's ``tir`` strategy runs it. A step's rollouts go side by side: each
turn is one batched generation for all that are still going, and their blocks run at once (a batch of 8 quickstart
rollouts: about 0.7 s a GRPO step on 2 cores, against 3 s one rollout at a time).

The completion's tokens are the model's own tokens as sampled (never re-tokenized), with each output block's
tokens spliced in between; ``env_mask`` is 0 on exactly those spliced tokens, so the loss never trains the
model to predict what the tool prints. The transcript the reward grades is the text the rollout built (model
turns cut after their closing fence, as the ``tir`` strategy cuts them, and the real output blocks), handed to
the rewards with the outputs shown and the count of model tokens (``tir_transcript``, ``tir_outputs``,
``model_tokens``). Rows of other modes in the same run
(``rollout: mixed``) get one plain generation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mammoth_math.prompts import CLOSING_FENCE, CODE_FENCE, OUTPUT_FENCE, output_block

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox, SandboxSession

STOP = (CLOSING_FENCE, OUTPUT_FENCE.rstrip("\n"))  # as the tir strategy: a block closes, or a made-up output opens
# (ids so far of each rollout, each one's max new tokens, stop at STOP) -> each one's new ids
Generate = Callable[[Sequence[Sequence[int]], Sequence[int], bool], list[list[int]]]
_CLOSING_RE = re.compile(r"^" + re.escape(CLOSING_FENCE), re.M)
_STOP_WINDOW = 12  # tokens: the most a stop string spans (each token is at least one character)


@dataclass
class Rollout:
    """One completion: its token ids, which of them the model wrote (``mask`` 1) and which the tool (0), the
    transcript the reward reads and the outputs the sandbox showed."""

    ids: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    transcript: str = ""
    outputs: list[str] = field(default_factory=list)


def closed_block(turn: str) -> tuple[str, str | None]:
    """A generated turn cut after its first closed ```python block, and that block's code (None: no call)."""
    start = turn.find(CODE_FENCE)
    if start < 0:
        return turn, None
    body = turn[start + len(CODE_FENCE):]
    end = _CLOSING_RE.search(body)
    if end is None:
        return turn, None
    return turn[: start + len(CODE_FENCE) + end.end()], body[: end.start()].strip("\n")


def tir_rollouts(prompts: Sequence[Sequence[int]], generate: Generate, tokenizer: Any, sandbox: Sandbox,
                 max_tokens: int, max_tool_calls: int) -> list[Rollout]:
    """One rollout per prompt, side by side: each turn generates for every unfinished rollout in one batch, runs
    each closed block in that rollout's own sandbox session (all at once), splices its output block in (masked)
    and goes on. At most ``sandbox.session_capacity`` rollouts hold sessions at a time (a wave)."""
    capacity = max(1, sandbox.session_capacity)
    rollouts: list[Rollout] = []
    for start in range(0, len(prompts), capacity):
        wave = prompts[start:start + capacity]
        with ExitStack() as stack:  # every session ends here, whatever happens in between
            sessions = [stack.enter_context(sandbox.session()) for _ in wave]
            rollouts += _wave(wave, generate, tokenizer, sessions, max_tokens, max_tool_calls)
    return rollouts


def _wave(prompts: Sequence[Sequence[int]], generate: Generate, tokenizer: Any, sessions: Sequence[SandboxSession],
          max_tokens: int, max_tool_calls: int) -> list[Rollout]:
    from mammoth_math.sandbox import notebook_output

    outs = [Rollout() for _ in prompts]
    active = list(range(len(prompts)))
    for call in range(max_tool_calls + 1):
        active = [i for i in active if len(outs[i].ids) < max_tokens]
        if not active:
            break
        news = generate([[*prompts[i], *outs[i].ids] for i in active], [max_tokens - len(outs[i].ids) for i in active],
                        call < max_tool_calls)
        calls = []
        for i, new in zip(active, news):
            out = outs[i]
            out.ids += new
            out.mask += [1] * len(new)
            turn, code = closed_block(tokenizer.decode(new, skip_special_tokens=True))
            out.transcript += turn
            if code is not None and new[-1:] != [tokenizer.eos_token_id] and call < max_tool_calls:
                calls.append((i, code))
        if not calls:
            break
        with ThreadPoolExecutor(len(calls)) as pool:
            results = list(pool.map(lambda c: sessions[c[0]].run(c[1]), calls))
        for (i, _), result in zip(calls, results):
            out, shown = outs[i], notebook_output(result)
            spliced = tokenizer(output_block(shown), add_special_tokens=False)["input_ids"][: max_tokens - len(out.ids)]
            out.ids += spliced
            out.mask += [0] * len(spliced)
            out.outputs.append(shown)
            out.transcript += output_block(shown)
        active = [i for i, _ in calls]
    return outs


def rollout_function(sandbox: Sandbox, modes: Mapping[str, str], max_tool_calls: int) -> Callable[..., dict]:
    """TRL's ``rollout_func(prompts, trainer)``: one rollout per entry of ``prompts`` (TRL's sampler already
    repeats each prompt ``num_generations`` times); a prompt whose row (``modes``: prompt text -> rollout mode)
    is ``tir`` runs multi-turn, any other generates once."""

    def rollout_func(prompts: Sequence[str], trainer: Any) -> dict[str, list]:
        tokenizer = trainer.processing_class
        generate = _model_generate(trainer)
        max_tokens = trainer.args.max_completion_length
        prompt_ids = [tokenizer(text=prompt)["input_ids"] for prompt in prompts]
        tir = [k for k, prompt in enumerate(prompts) if modes.get(prompt) == "tir"]
        plain = [k for k, prompt in enumerate(prompts) if modes.get(prompt) != "tir"]
        rollouts: dict[int, Rollout] = {}
        if tir:
            made = tir_rollouts([prompt_ids[k] for k in tir], generate, tokenizer, sandbox, max_tokens, max_tool_calls)
            rollouts.update(zip(tir, made))
        if plain:
            made_ids = generate([prompt_ids[k] for k in plain], [max_tokens] * len(plain), False)
            rollouts.update((k, Rollout(ids, [1] * len(ids))) for k, ids in zip(plain, made_ids))
        done = [rollouts[k] for k in range(len(prompts))]
        multi_turn = set(tir)
        return {"prompt_ids": [list(ids) for ids in prompt_ids], "completion_ids": [r.ids for r in done],
                "env_mask": [r.mask for r in done],
                "tir_transcript": [r.transcript if k in multi_turn else None for k, r in enumerate(done)],
                "tir_outputs": [r.outputs if k in multi_turn else None for k, r in enumerate(done)],
                "model_tokens": [sum(r.mask) for r in done], "logprobs": None}

    return rollout_func


def _model_generate(trainer: Any) -> Generate:
    """A batch at a time (left-padded) with the trainer's sampling settings; a row stops at its EOS or, when asked,
    as soon as a ``STOP`` string shows in what it wrote, and keeps exactly the tokens up to there."""
    import copy

    import torch
    from transformers import StoppingCriteriaList
    from trl.models import unwrap_model_for_generation

    tokenizer = trainer.processing_class
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    def generate(batch: Sequence[Sequence[int]], budgets: Sequence[int], stop: bool) -> list[list[int]]:
        width = max(len(ids) for ids in batch)
        device = trainer.accelerator.device
        inputs = torch.tensor([[pad] * (width - len(ids)) + list(ids) for ids in batch], device=device)
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in batch], device=inputs.device)
        config = copy.deepcopy(trainer.generation_config)
        config.max_new_tokens, config.stop_strings = max(budgets), None
        criteria = StoppingCriteriaList([_StopAt(tokenizer, width)] if stop else [])
        with unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator) as model, torch.no_grad():
            out = model.generate(input_ids=inputs, attention_mask=mask, generation_config=config,
                                 stopping_criteria=criteria, pad_token_id=pad)
        return [own_tokens(row[width:].tolist()[:budget], tokenizer, stop) for row, budget in zip(out, budgets)]

    return generate


def own_tokens(row: list[int], tokenizer: Any, stop: bool) -> list[int]:
    """What a row of a batched generation wrote itself: up to its first EOS, or (``stop``) up to the token where a
    ``STOP`` string first shows; the padding a finished row gets after that is not the model's."""
    for k in range(1, len(row) + 1):
        if row[k - 1] == tokenizer.eos_token_id or (stop and _stops(tokenizer, row[max(0, k - _STOP_WINDOW):k])):
            return row[:k]
    return row


def _stops(tokenizer: Any, tail: Sequence[int]) -> bool:
    text = tokenizer.decode(tail, skip_special_tokens=True)
    return any(s in text for s in STOP)


class _StopAt:
    """Transformers' stopping criterion for a batch: a row is done once a ``STOP`` string shows in the tokens it
    generated (after column ``start``), the same test :func:`own_tokens` cuts at."""

    def __init__(self, tokenizer: Any, start: int):
        self.tokenizer, self.start = tokenizer, start

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        tails = input_ids[:, max(self.start, input_ids.size(1) - _STOP_WINDOW):].tolist()
        return torch.tensor([_stops(self.tokenizer, t) for t in tails], dtype=torch.bool, device=input_ids.device)
