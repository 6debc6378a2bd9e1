"""TIR rollouts for GRPO, through TRL's ``rollout_func`` hook: generation stops at a closed code block, the block
runs in that rollout's sandbox session, the real output is appended, generation goes on (at most
``max_tool_calls`` blocks), as the evaluation's ``tir`` strategy runs it.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mammoth_math.prompts import CLOSING_FENCE, CODE_FENCE, OUTPUT_FENCE, output_block

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox, SandboxSession

STOP = (CLOSING_FENCE, OUTPUT_FENCE.rstrip("\n"))  # as the tir strategy: a block closes, or a made-up output opens
Generate = Callable[[Sequence[int], int, bool], list[int]]  # (ids so far, max new tokens, stop at STOP) -> new ids
_CLOSING_RE = re.compile(r"^" + re.escape(CLOSING_FENCE), re.M)


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


def tir_rollout(prompt_ids: Sequence[int], generate: Generate, tokenizer: Any, session: SandboxSession,
                max_tokens: int, max_tool_calls: int) -> Rollout:
    """Generate, run each closed block in ``session``, splice its output block in (masked), go on."""
    from mammoth_math.sandbox import notebook_output

    out = Rollout()
    for call in range(max_tool_calls + 1):
        budget = max_tokens - len(out.ids)
        if budget <= 0:
            break
        new = generate([*prompt_ids, *out.ids], budget, call < max_tool_calls)
        out.ids += new
        out.mask += [1] * len(new)
        turn, code = closed_block(tokenizer.decode(new, skip_special_tokens=True))
        out.transcript += turn
        if code is None or new[-1:] == [tokenizer.eos_token_id] or call == max_tool_calls:
            break
        shown = notebook_output(session.run(code))
        spliced = tokenizer(output_block(shown), add_special_tokens=False)["input_ids"][: max_tokens - len(out.ids)]
        out.ids += spliced
        out.mask += [0] * len(spliced)
        out.outputs.append(shown)
        out.transcript += output_block(shown)
    return out


def rollout_function(sandbox: Sandbox, modes: Mapping[str, str], max_tool_calls: int) -> Callable[..., dict]:
    """TRL's ``rollout_func(prompts, trainer)``: one rollout per entry of ``prompts`` (TRL's sampler already
    repeats each prompt ``num_generations`` times); a prompt whose row (``modes``: prompt text -> rollout mode)
    is ``tir`` runs multi-turn, any other generates once."""

    def rollout_func(prompts: Sequence[str], trainer: Any) -> dict[str, list]:
        tokenizer = trainer.processing_class
        generate = _model_generate(trainer)
        results: dict[str, list] = {k: [] for k in ("prompt_ids", "completion_ids", "env_mask", "tir_transcript",
                                                   "tir_outputs", "model_tokens")}
        max_tokens = trainer.args.max_completion_length
        for prompt in prompts:
            prompt_ids = tokenizer(text=prompt)["input_ids"]
            if modes.get(prompt) == "tir":
                with sandbox.session() as session:
                    r = tir_rollout(prompt_ids, generate, tokenizer, session, max_tokens, max_tool_calls)
                transcript, outputs = r.transcript, r.outputs
            else:
                ids = generate(prompt_ids, max_tokens, False)
                r, transcript, outputs = Rollout(ids, [1] * len(ids)), None, None
            results["prompt_ids"].append(list(prompt_ids))
            results["completion_ids"].append(r.ids)
            results["env_mask"].append(r.mask)
            results["tir_transcript"].append(transcript)
            results["tir_outputs"].append(outputs)
            results["model_tokens"].append(sum(r.mask))
        return {**results, "logprobs": None}

    return rollout_func


def _model_generate(trainer: Any) -> Generate:
    """One sequence at a time with the trainer's sampling settings, stopping at ``STOP`` when asked."""
    import copy

    import torch
    from trl.models import unwrap_model_for_generation

    tokenizer = trainer.processing_class

    def generate(ids: Sequence[int], max_new: int, stop: bool) -> list[int]:
        config = copy.deepcopy(trainer.generation_config)
        config.max_new_tokens = max_new
        config.stop_strings = list(STOP) if stop else None
        inputs = torch.tensor([list(ids)], device=trainer.accelerator.device)
        with unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator) as model, torch.no_grad():
            out = model.generate(input_ids=inputs, attention_mask=torch.ones_like(inputs), generation_config=config,
                                 tokenizer=tokenizer)
        new = out[0, inputs.size(1):].tolist()
        if tokenizer.eos_token_id in new:  # nothing after the first EOS is the model's
            new = new[: new.index(tokenizer.eos_token_id) + 1]
        return new

    return generate
