"""A tiny Llama and a byte-level BPE tokenizer built here, from config: the CPU recipe needs no downloads.

Used by ``configs/train/tiny-cpu.yaml``, the tests, the benchmark and the quickstart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int = 512, split_digits: bool = False) -> Any:
    """A byte-level BPE (GPT-2 style) trained on ``texts``, wrapped as a transformers fast tokenizer.

    ``split_digits`` makes every digit its own token (as Llama's tokenizer does), so a small model copies
    numbers digit by digit instead of learning an embedding per multi-digit chunk.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    if split_digits:
        digits = pre_tokenizers.Digits(individual_digits=True)
        core.pre_tokenizer = pre_tokenizers.Sequence([digits, core.pre_tokenizer])
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIALS), initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    core.train_from_iterator(texts, trainer=trainer)
    bos = core.token_to_id("<s>")
    core.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)])
    return PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )


def tiny_llama(tokenizer: Any, hidden_size: int = 64, layers: int = 2, heads: int = 4, max_positions: int = 1024,
               seed: int = 0, attn_implementation: str = "sdpa") -> Any:
    """A randomly initialised ``LlamaForCausalLM`` sized for CPU tests (fp32)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    if attn_implementation == "sdpa_varlen":
        from mammoth_math.training.attention import register_varlen_attention

        register_varlen_attention()
    config._attn_implementation = attn_implementation
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)
