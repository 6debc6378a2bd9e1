"""On a CPU the trainer's loss is the model's own cross-entropy: the same loss and gradients as TRL's fused LM head."""

from __future__ import annotations

from pathlib import Path

import torch
from datasets import Dataset
from trl import SFTTrainer

from mammoth_math.training import load_config, tiny_llama, train_bpe_tokenizer
from mammoth_math.training.examples import AlpacaRow, encode_rows
from mammoth_math.training.run import _SFTTrainer

from .conftest import alpaca_rows

TINY = Path(__file__).resolve().parents[2] / "configs" / "train" / "tiny-cpu.yaml"


def test_cpu_loss_and_gradients_equal_trl_fused_head(tmp_path: Path) -> None:
    rows = [AlpacaRow(r["instruction"], "", r["output"], "test") for r in alpaca_rows(16)]
    tok = train_bpe_tokenizer([r.instruction + "\n" + r.output for r in rows], 300)
    examples, _ = encode_rows(tok, rows, 256)
    config = load_config(TINY, [f"output_dir={tmp_path}", "report_to=[]", "per_device_train_batch_size=8",
                                "tiny_hidden_size=32", "max_steps=1"])
    config.max_length = None  # as train() does for padding-free batches
    model = tiny_llama(tok, hidden_size=32, attn_implementation=config.attn_implementation or "sdpa")
    trainer = _SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(examples), processing_class=tok)
    batch = next(iter(trainer.get_train_dataloader()))
    trained = int((batch["labels"][:, 1:] != -100).sum())
    losses, grads = [], []
    for compute in (trainer.compute_loss, lambda *a, **k: SFTTrainer.compute_loss(trainer, *a, **k)):
        model.zero_grad()
        loss = compute(model, dict(batch), num_items_in_batch=torch.tensor(trained))
        loss.backward()
        losses.append(loss.detach())
        grads.append([p.grad.clone() for p in model.parameters()])
    assert torch.allclose(losses[0], losses[1], atol=1e-5) and losses[0] > 0
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(*grads))
