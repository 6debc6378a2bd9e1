"""A tiny Llama and a tokenizer trained here on a few KB of math text: no downloads, built in ~1 s.

``build_tiny_model(path)`` saves both with ``save_pretrained`` so that the ``hf`` backend, vLLM and
``transformers serve`` can all load the same directory by path. Random weights: outputs are
gibberish but deterministic under greedy decoding, which is all backend tests need.
"""

from __future__ import annotations

from pathlib import Path

# A chat template in the ChatML style, so chat endpoints and ``apply_chat_template`` work on the tiny model.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>"]

_CORPUS = [
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
    "### Instruction:\n### Response: Let's write a program. Let's solve the multi-choice question step by step.",
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast and bakes muffins with four.",
    "She sells the remainder at the farmers' market daily for $2 per fresh duck egg. The answer is 18.",
    "def solution():\n    eggs = 16 - 3 - 4\n    return eggs * 2\nprint(solution())\nans = 9 * 2\nprint(ans)",
    "import math\nimport sympy\nx = sympy.symbols('x')\nprint(sympy.solve(x**2 - 4, x))",
    "What is the value of $x$ if $\\frac{x-1}{3} = 3$? The answer is \\boxed{10}.",
    "Answer Choices: (A) 2 (B) 4 (C) 9 (D) 10 (E) None of these. The answer is (D).",
    "A train travels 120 km in 2 hours. What is its speed in km/h? 120 / 2 = 60. The answer is 60.",
    "0 1 2 3 4 5 6 7 8 9 10 12 15 18 20 25 50 100 1000 0.5 3.14 -1 + - * / = ( ) [ ] { } % $ # , . ? !",
    "True False integer float list option sum product remainder prime factor divided root nearest",
]


def math_corpus() -> list[str]:
    """The few KB of text the tiny tokenizer is trained on (a little of everything our prompts contain)."""
    return [line for _ in range(3) for line in _CORPUS]


def build_tiny_tokenizer(vocab_size: int = 600):
    """A byte-level BPE tokenizer trained locally, wrapped as ``PreTrainedTokenizerFast`` with pad/eos/chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(math_corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_tiny_model(tokenizer=None, seed: int = 0, hidden_size: int = 64, num_layers: int = 2):
    """A randomly initialised ``LlamaForCausalLM`` (hidden 64, 2 layers) matching ``tokenizer``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tokenizer or build_tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=2,  # head_dim 32: a size every vLLM attention kernel supports
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        initializer_range=0.2,  # larger than the default 0.02, so greedy output varies instead of repeating one token
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.eval()
    return model, tokenizer


def save_tiny_model(path: str | Path, seed: int = 0) -> Path:
    """Build the tiny model and tokenizer and ``save_pretrained`` both into ``path``; returns ``path``."""
    path = Path(path)
    model, tokenizer = build_tiny_model(seed=seed)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
