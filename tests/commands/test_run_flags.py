"""The backend flags of ``eval`` and ``probe`` are derived from the backends' options dataclasses: the same
flags and defaults as the hand-written table they replace, and a flag or config key for another backend is
refused naming it and the backends it applies to."""

from __future__ import annotations

import dataclasses

import pytest
from helpers.cli import fails

from mammoth_math.backends import BACKEND_OPTIONS
from mammoth_math.backends.options import flag_fields
from mammoth_math.cli import build_parser
from mammoth_math.commands.run_flags import backend_options

# The CLI's table before the options moved into the backends (cli.py's _BACKEND_FLAGS at 543a3f2).
OLD_FLAGS = {"hf": {"batch_size": 16},
             "openai": {"base_url": ["http://127.0.0.1:8000/v1"], "endpoint": "auto", "concurrency": 8},
             "vllm": {"tensor_parallel_size": 1, "data_parallel_size": 1}}


def _flags(command: str) -> set[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    return {a.dest for a in sub._actions}


@pytest.mark.parametrize("command", ["eval", "probe"])
def test_each_flag_field_is_a_flag(command):
    derived = {f.name for options in BACKEND_OPTIONS.values() for f in flag_fields(options)}
    assert {name for flags in OLD_FLAGS.values() for name in flags} <= derived, "every old flag is still derived"
    assert derived <= _flags(command)
    others = {f.name for options in BACKEND_OPTIONS.values() for f in dataclasses.fields(options)} - derived
    # --seed is the run's sampling seed (EvalConfig.seed), not vLLM's engine seed of the same name
    assert others & _flags(command) == {"seed"}, "only fields marked flag become flags"


@pytest.mark.parametrize("backend", list(OLD_FLAGS))
def test_defaults_are_the_old_ones(backend, tmp_path):
    args = build_parser().parse_args(["eval"])
    assert backend_options(args, backend, {}, str(tmp_path)) == {**OLD_FLAGS[backend],
                                                                 "cache_dir": str(tmp_path / "cache")}


def test_the_backends_own_defaults_are_the_old_ones():
    """The defaults the backends' constructors had, now written once in their options."""
    hf, openai, vllm = (BACKEND_OPTIONS[name]() for name in ("hf", "openai", "vllm"))
    assert (hf.batch_size, hf.device, hf.dtype, hf.trust_remote_code) == (16, None, "auto", False)
    assert (list(openai.base_url), openai.endpoint, openai.concurrency, openai.max_retries, openai.timeout_s,
            openai.backoff_s, openai.max_backoff_s) == (["http://127.0.0.1:8000/v1"], "auto", 8, 5, 600.0, 1.0, 60.0)
    assert (vllm.tensor_parallel_size, vllm.data_parallel_size, vllm.dtype, vllm.seed, vllm.gpu_memory_utilization,
            vllm.max_model_len) == (1, 1, "auto", 0, 0.9, None)


def test_flags_and_config_win_in_order(tmp_path):
    args = build_parser().parse_args(["eval", "--concurrency", "3"])
    options = backend_options(args, "openai", {"concurrency": 5, "endpoint": "chat"}, str(tmp_path))
    assert (options["concurrency"], options["endpoint"]) == (3, "chat")


@pytest.mark.parametrize("argv, expected", [
    (["--backend", "hf", "--tensor-parallel-size", "2"], ("--tensor-parallel-size", "vllm backend", "not hf")),
    (["--backend", "vllm", "--concurrency", "4"], ("--concurrency", "openai backend", "not vllm")),
    (["--batch-size", "4", "--backend", "openai"], ("--batch-size", "hf backend", "not openai")),
])
def test_a_flag_of_another_backend_is_refused(capsys, empty_model, custom_dir, tmp_path, argv, expected):
    for command in ("eval", "probe"):
        fails(capsys, [command, "--model", str(empty_model), "--datasets", "custom", "--data-dir", str(custom_dir),
                       "--output-dir", str(tmp_path / "out"), *argv,
                       *(["--challenge", "doubt"] if command == "probe" else [])], *expected)
    assert not (tmp_path / "out").exists()


def test_a_config_key_of_another_backend_is_refused(capsys, empty_model, custom_dir, tmp_path):
    config = tmp_path / "eval.yaml"
    config.write_text(f"model: {empty_model}\nbackend: vllm\ndatasets: [custom]\ndata_dir: {custom_dir}\n"
                      f"output_dir: {tmp_path / 'out'}\nbackend_options: {{batch_size: 8}}\n")
    fails(capsys, ["eval", "--config", str(config)], str(config), "backend_options", "'batch_size'", "hf backend")
    config.write_text(config.read_text().replace("backend: vllm", "backend: openai").replace("batch_size", "bach"))
    fails(capsys, ["eval", "--config", str(config)], str(config), "'bach'", "no backend")


def test_vllm_takes_engine_arguments_it_does_not_declare(tmp_path):
    """vLLM's engine has many more arguments; a config may pass them (they go to vllm.LLM)."""
    from mammoth_math.commands.run_flags import check_config_options

    check_config_options("vllm", {"enforce_eager": True, "gpu_memory_utilization": 0.5}, "eval.yaml")
    with pytest.raises(ValueError, match="'concurrency' is an option of the openai backend"):
        check_config_options("vllm", {"concurrency": 2}, "eval.yaml")
