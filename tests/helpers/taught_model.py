"""A tiny model taught (here, in seconds) to answer a few real problems.

A random tiny model only produces gibberish, so every program fails and no answer is ever right. To
cover every verdict path with a real model, :func:`teach` fine-tunes the tiny Llama on MAmmoTH's own
prompts for the first GSM8K and AQuA problems, with targets chosen per problem: a correct program, a
syntax error, a program printing nothing, one printing no number, an infinite loop, a wrong program,
and CoT rationales. Greedy decoding then reproduces them, through the real backends and sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from helpers.tiny_model import build_tiny_model

from mammoth_math.benchmarks import load_problems
from mammoth_math.prompts import build_prompt

# What the taught model writes for the PoT prompt of GSM8K problem i ({g}: its gold answer), and why.
GSM8K_PROGRAMS = [
    "print({g})",  # 0: right
    "x = (1 +",  # 1: syntax error -> fallback "error"
    "x = 1",  # 2: prints nothing -> fallback "no output"
    "print('hello')",  # 3: no number -> fallback "no answer" (and its CoT says nothing either)
    "while True: pass",  # 4: never ends -> fallback "timeout"
    "print({g})",  # 5: right
    "print(12345)",  # 6: a wrong answer is not a failure: no fallback
    "print({g})",  # 7: right
]
GSM8K_FAILED = {1: "error", 2: "no output", 3: "no answer", 4: "timeout"}
N_GSM8K, N_AQUA = len(GSM8K_PROGRAMS), 2


def teaching_pairs(eval_dir: Path) -> list[tuple[str, str]]:
    """(prompt, target) pairs: MAmmoTH's exact zero-shot prompts, the scripted responses above."""
    pairs = []
    for i, p in enumerate(load_problems("gsm8k", eval_dir, limit=N_GSM8K)):
        pairs.append((build_prompt(p, "pot"), GSM8K_PROGRAMS[i].format(g=p.gold)))
        pairs.append((build_prompt(p, "cot"), "I do not know." if i == 3 else f"So the answer is {p.gold}."))
    aqua = load_problems("aqua", eval_dir, limit=N_AQUA)
    pairs.append((build_prompt(aqua[0], "pot"), f"print('{aqua[0].gold}')"))  # a letter among the options
    pairs.append((build_prompt(aqua[1], "pot"), "print('Z')"))  # not an option -> fallback
    pairs.append((build_prompt(aqua[0], "cot"), f"The answer is ({aqua[0].gold})."))
    pairs.append((build_prompt(aqua[1], "cot"), f"The answer is ({aqua[1].gold})."))
    return pairs


def teach(pairs: Sequence[tuple[str, str]], max_steps: int = 80, lr: float = 1e-2):
    """Fine-tune the tiny Llama on ``pairs`` (loss on the target only) until it reproduces them."""
    import torch

    model, tok = build_tiny_model(seed=0)
    torch.manual_seed(0)
    rows = []
    for prompt, target in pairs:
        p = tok(prompt)["input_ids"]
        t = tok(target, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
        rows.append((p + t, [-100] * len(p) + t))
    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([x + [tok.pad_token_id] * (width - len(x)) for x, _ in rows])
    labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in rows])
    mask = (torch.arange(width)[None] < torch.tensor([len(x) for x, _ in rows])[:, None]).long()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains several times faster on one thread of a busy machine
    try:
        for _ in range(max_steps):
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if loss.item() < 0.005:
                break
    finally:
        torch.set_num_threads(threads)
    return model.eval(), tok
