"""Sampling settings of a run: suites in ``--datasets``, per-set defaults that flags override, the k of
pass@k, reasoning tags and prompt styles checked at load."""

from __future__ import annotations

import pytest

from mammoth_math.benchmarks import SUITES, Problem, Sampling, get_benchmark
from mammoth_math.evaluation import EvalConfig, load_config
from mammoth_math.evaluation.config import default_ks, parse_ks
from mammoth_math.evaluation.strategies import Sampler
from mammoth_math.files import InputError
from mammoth_math.grading.kinds import AnswerKind

COMPETITION = get_benchmark("aime24").sampling


def _config(**values) -> EvalConfig:
    return EvalConfig(**{"model": "m", "datasets": ["gsm8k"], "output_dir": "out", **values})


def test_suites_expand_in_order_each_set_once():
    config = load_config(None, {"model": "m", "datasets": "gsm8k,modern,aime24", "output_dir": "out"})
    assert config.datasets == ["gsm8k", *SUITES["modern"]]
    assert _config(datasets=["all"]).datasets == list(SUITES["all"])
    with pytest.raises(InputError, match="unknown benchmark 'aime23'"):
        load_config(None, {"model": "m", "datasets": "aime23", "output_dir": "out"})


def test_set_defaults_then_flags():
    assert COMPETITION == Sampling(16, 0.6, 0.95)
    assert _config().sampling(COMPETITION) == COMPETITION
    assert _config().sampling(Sampling()) == Sampling(1, 0.0, 1.0)
    assert _config(samples=4).sampling(Sampling()) == Sampling(4, 0.7, 1.0)  # a greedy set sampled: 0.7
    assert _config(samples=4).sampling(COMPETITION) == Sampling(4, 0.6, 0.95)  # only n overridden
    assert _config(temperature=1.0, top_p=0.9).sampling(COMPETITION) == Sampling(16, 1.0, 0.9)
    assert _config(samples=3).run_name == "hybrid-sc" and _config().run_name == "hybrid"
    with pytest.raises(ValueError, match="give --temperature > 0"):
        _config(samples=4, temperature=0.0)


def test_pass_k_defaults_and_checks():
    assert default_ks(1) == [1] and default_ks(4) == [1, 2, 4] and default_ks(12) == [1, 2, 4, 8, 12]
    assert parse_ks("4, 1,2") == [1, 2, 4]
    assert _config(samples=16).ks(16) == [1, 2, 4, 8, 16]
    assert _config(samples=8, pass_k=[1, 8]).ks(8) == [1, 8]
    assert _config(pass_k=[1, 8]).ks(4) == [1]  # a set sampled fewer times reports the k it can
    with pytest.raises(ValueError, match="--pass-k"):
        parse_ks("1,x")
    with pytest.raises(ValueError, match="every k must be between 1 and --samples"):
        _config(samples=4, pass_k=[8])


def test_reasoning_tags_and_prompt_styles():
    assert _config(think_tags=["<reason>", "</reason>"]).think_tags == ("<reason>", "</reason>")
    with pytest.raises(ValueError, match="think_tags must be two"):
        _config(think_tags=["<think>"])
    with pytest.raises(ValueError, match="prompt_style must be one of mammoth"):
        _config(prompt_style="llama")
    with pytest.raises(ValueError, match="use --mode cot"):
        _config(prompt_style="qwen25-math-cot")


def test_a_chat_style_replaces_the_cot_prompt_only():
    problem = Problem("gsm8k", "0", "What is 2+2?", "4", AnswerKind.NUMBER)
    sampler = Sampler(backend=None, style="qwen25-math-cot", chat=True)  # type: ignore[arg-type]
    system, user = sampler.prompt(problem, "cot")
    assert "within \\boxed{}" in system["content"] and user == {"role": "user", "content": "What is 2+2?"}
    assert sampler.prompt(problem, "pot")[-1]["content"].endswith("Let's write a program.")
