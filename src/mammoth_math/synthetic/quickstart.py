"""The embedded demo: synthetic problems -> data builder -> tiny CPU model -> CoT / PoT / hybrid / TIR evaluation.

Every stage is the real one (sandbox-verified build, TRL training, the evaluation harness and its report),
at a size that fits a laptop CPU. Everything goes under ``out_dir``; a stage whose output is complete is
skipped, so a re-run resumes, and a new training budget on the same folder reuses the data and retrains.
Without ``--threads`` each stage takes the cores free when it starts and training follows them between steps
(:class:`mammoth_math.cpu.AdaptiveThreads`); float sums depend on the thread count, so ``--threads N`` fixes it
like the seed (recorded: a resumed folder keeps it): same seed and threads, same table.
``--rl`` adds a GRPO stage after SFT (:mod:`.rl`) and the RL model's columns and reward curves to the report.
Run: ``mammoth-math quickstart [--minutes M] [--out DIR] [--seed S] [--threads N] [--rl]``.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mammoth_math.cpu import free_threads, set_threads
from mammoth_math.files import read_json, write_json
from mammoth_math.progress import progress_enabled
from mammoth_math.synthetic.generate import generate, write_problems, write_rationales

log = logging.getLogger(__name__)

MODES = ("cot", "pot", "hybrid", "tir", "hybrid-tir")
TIR_CHOICE_TEXT = 0.1
# Measured on 2 free cores: ~5.5 training steps/s for the default model; the rest is data, eval and slack.
STEPS_PER_MINUTE = 240


@dataclass(frozen=True)
class QuickstartConfig:
    """Sizes of one quickstart run. ``for_minutes`` scales the training steps to a wall-clock budget."""

    out_dir: str = "runs/quickstart"
    seed: int = 0
    train_problems: int = 2000  # problems; each gives a CoT, a PoT and a TIR example (the PoT program in blocks)
    test_problems: int = 300
    hidden_size: int = 128
    layers: int = 4
    heads: int = 4
    vocab_size: int = 600
    max_steps: int = 2400
    batch_size: int = 16
    learning_rate: float = 3e-3
    max_new_tokens: int = 160
    eval_batch_size: int = 100
    threads: int | None = None  # CPU threads (torch, sandbox, build); None: the cores free now, followed as they change
    rounds: int = 1  # 2: the trained model distills new problems without golds, and a second model trains on the union
    rl_steps: int = 0  # GRPO steps after SFT (``--rl``; 0: no RL stage)
    rl_learning_rate: float = 5e-5  # 2e-4 took off sooner but cost PoT and rates cells on the way (measured)
    progress: bool = True

    def __post_init__(self) -> None:
        """Checked before the folder is touched: a refused setting must not be recorded as the folder's."""
        if self.rl_steps < 0:
            raise ValueError(f"rl_steps must be >= 0, got {self.rl_steps}")
        for name in ("train_problems", "test_problems", "max_steps", "threads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if self.seed < 0 or self.rounds not in (1, 2):
            raise ValueError(f"seed must be >= 0 and rounds 1 or 2, got {self.seed} and {self.rounds}")

    @classmethod
    def for_minutes(cls, minutes: float, rl: bool = False, **overrides: Any) -> QuickstartConfig:
        """Training steps for about ``minutes`` of training on 2 free cores (10 gives the default); with ``rl``,
        GRPO steps in proportion (:func:`.rl.rl_steps`)."""
        if not minutes > 0:
            raise ValueError(f"minutes must be > 0, got {minutes}")
        from mammoth_math.synthetic.rl import rl_steps

        return cls(max_steps=max(20, round(STEPS_PER_MINUTE * minutes)), rl_steps=rl_steps(minutes) if rl else 0,
                   **overrides)


@dataclass
class QuickstartResult:
    out_dir: str
    table: list[dict[str, Any]]  # the evaluation report's rows: dataset, then mode -> accuracy (0-1)
    families: dict[str, dict[str, float]]  # family -> mode -> accuracy
    report_html: str
    report_png: str
    skipped: list[str] = field(default_factory=list)  # stages found complete and not run again
    seconds: dict[str, float] = field(default_factory=dict)
    second_round: Any = None  # a ``synthetic.rounds.SecondRound`` with --rounds 2
    rl: Any = None  # a ``synthetic.rl.RLStage`` with --rl


def run_quickstart(config: QuickstartConfig) -> QuickstartResult:
    """Run (or resume) every stage; see the module docstring."""
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = _check_same_settings(config, out)
    skipped: list[str] = []
    seconds: dict[str, float] = {}
    for stage, fn in (("generate", _generate), ("data", _data), ("train", _train), ("eval", _eval)):
        start = time.perf_counter()
        if fn(config, out):
            skipped.append(stage)
        seconds[stage] = round(time.perf_counter() - start, 2)
        log.info("quickstart %s: %s in %.1fs", stage, "skipped" if stage in skipped else "done", seconds[stage])
    from mammoth_math.evaluation import Naming, build_report
    from mammoth_math.probe import report_section

    # the page names what it shows: the quickstart's test set (a ``custom`` set to the registry), by family
    naming = Naming("mammoth-math quickstart: a tiny model trained on hybrid CoT/PoT data",
                    {"custom": "quickstart test set"}, "quickstart")
    report = build_report(out / "eval", [report_section], naming=naming)
    families = _family_scores(out / "eval")
    second, rl, sections = None, None, []
    if config.rounds == 2:
        from mammoth_math.synthetic.rounds import labels_section, rounds_section, second_round

        second = second_round(config, out, _data, _train, _eval, _family_scores, naming)
        both = rounds_section(MODES, report.table, families, second)
        sections += [lambda _: both, lambda _: labels_section(second)]
    if config.rl_steps:
        from mammoth_math.synthetic.rl import RL, add_curves, curves_png, rewards_section, rl_section, rl_stage

        start = time.perf_counter()
        rl = rl_stage(config, out, _eval, _family_scores, naming)
        seconds["rl"] = round(time.perf_counter() - start, 2)
        skipped += ["rl"] if rl.skipped else []
        curves = out / RL / "rewards.png"
        curves_png(rl.rewards, curves)
        after = rl_section(MODES, report.table, families, rl, curves)
        sections += [lambda _: after, lambda _: rewards_section(rl)]
    if sections:
        report = build_report(out / "eval", [report_section, *sections], naming=naming)
    if rl is not None:
        add_curves(Path(report.chart_png), curves)
    return QuickstartResult(str(out), report.table, families, report.html, report.chart_png, skipped, seconds, second,
                            rl)


# Settings that only change training: a new value keeps the data and retrains (then re-evaluates).
TRAINING_ONLY = ("max_steps",)


def _check_same_settings(config: QuickstartConfig, out: Path) -> QuickstartConfig:
    """Resume only what the same settings made; returns ``config`` with the thread count the folder recorded.

    A new training budget (``--minutes``) on the same folder keeps the problems and the data, and drops the
    model and evaluation so that they are redone: the table then equals a fresh run's with that budget.
    """
    path = out / "quickstart.json"
    saved = read_json(path) if path.exists() else None
    if config.threads is None and saved is not None:
        config = replace(config, threads=saved.get("threads"))  # a count fixed by --threads, or None: free cores
    # the RL stage keeps its own settings (``rl/rl.json``): a folder without it reads as it did before
    settings = {k: v for k, v in asdict(config).items()
                if k not in ("out_dir", "progress", "rounds", "rl_steps", "rl_learning_rate")}
    if saved is not None:
        changed = sorted(k for k in settings if saved.get(k) != settings[k])
        fixed = [f"{k} {saved.get(k)!r} -> {settings[k]!r}" for k in changed if k not in TRAINING_ONLY]
        if fixed:
            raise ValueError(f"{out} was made with other settings ({', '.join(fixed)}); "
                             "use another --out or delete this one")
        if changed:
            log.info("%s: training budget changed (%s): keeping the data, retraining", out,
                     ", ".join(f"{k} {saved.get(k)} -> {settings[k]}" for k in changed))
            for stage in ("model", "eval", "rl"):
                shutil.rmtree(out / stage, ignore_errors=True)
    write_json(path, settings)
    return config


def _generate(config: QuickstartConfig, out: Path) -> bool:
    train_file, test_file = out / "synthetic" / "train.jsonl", out / "synthetic" / "test" / "custom.jsonl"
    if train_file.exists() and test_file.exists():
        return True
    test = generate(config.test_problems, config.seed + 1, prefix="test")
    train = generate(config.train_problems, config.seed, prefix="train", exclude=frozenset(p.question for p in test))
    write_problems(test, test_file)
    write_rationales(train, train_file)  # written last: its presence marks the stage complete
    return False


def _data(config: QuickstartConfig, out: Path, data_dir: str = "data", extra: tuple[dict, ...] = ()) -> bool:
    from mammoth_math.data import build, config_from_dict

    if (out / data_dir / "report.json").exists():
        return True
    # Templated questions share most n-grams, so near-duplicate removal and decontamination would remove
    # everything; the test set is kept out at generation instead (``exclude``).
    build_config = config_from_dict({
        "name": "quickstart", "sources": [{"name": "rationales", "path": str(out / "synthetic" / "train.jsonl"),
                                           "types": ["cot", "pot", "tir"]}, *extra],
        "eval_dir": None, "near_dup_threshold": None, "seed": config.seed, "formats": ["alpaca", "jsonl"],
        # One multiple-choice TIR row in ten names the option by its text: SFT's greedy answer stays the letter
        # (near chance: this model cannot match a value to its letter), and ``--rl`` has a form to reinforce.
        "tir_choice_text": TIR_CHOICE_TEXT,
        "workers": config.threads or free_threads()})
    build(build_config, out / data_dir, progress=config.progress)
    return False


def _train(config: QuickstartConfig, out: Path, data_dir: str = "data", model: str = "model") -> bool:
    from mammoth_math.training import AdaptiveThreadsCallback, load_rows, train, train_bpe_tokenizer

    model_dir, tokenizer_dir = out / model, out / "tokenizer"
    if (model_dir / "model.safetensors").exists() and (model_dir / "tokenizer.json").exists():
        return True
    if not (tokenizer_dir / "tokenizer.json").exists():
        # One token per digit: the program then copies a number digit by digit, which a tiny model learns
        # fast; the prose still has to multiply multi-digit numbers, which it cannot learn at this size.
        rows = load_rows([str(out / data_dir / "data.jsonl")])
        texts = [r.instruction + "\n" + r.input + "\n" + r.output for r in rows]
        train_bpe_tokenizer(texts, config.vocab_size, split_digits=True).save_pretrained(str(tokenizer_dir))
    set_threads(config.threads)
    train(train_config(config, out, data_dir, model), callbacks=[] if config.threads else [AdaptiveThreadsCallback()])
    return False


def train_config(config: QuickstartConfig, out: Path, data_dir: str = "data", model: str = "model",
                 **overrides: Any) -> Any:
    """The quickstart's ``TrainConfig`` for the data under ``out/data_dir`` (``overrides``: fields to replace;
    ``bench/bench_quickstart.py`` times this very training)."""
    from mammoth_math.training import load_config

    values = {
        "model": "tiny", "tokenizer": str(out / "tokenizer"), "data": [str(out / data_dir / "data.jsonl")],
        "output_dir": str(out / model),
        "tiny_hidden_size": config.hidden_size, "tiny_layers": config.layers, "tiny_heads": config.heads,
        "tiny_vocab_size": config.vocab_size, "max_length": 512, "use_cpu": True, "bf16": False,
        "activation_checkpointing": False, "gradient_checkpointing": False, "padding_free": True,
        "attn_implementation": "sdpa_varlen", "learning_rate": config.learning_rate, "max_steps": config.max_steps,
        "per_device_train_batch_size": config.batch_size, "lr_scheduler_type": "cosine", "warmup_steps": 0.05,
        "weight_decay": 0.0, "logging_steps": 10, "save_strategy": "steps",
        "save_steps": max(10, config.max_steps // 4), "save_total_limit": 1, "report_to": "none",
        "seed": config.seed, "data_seed": config.seed, "dataloader_num_workers": 0,
        "disable_tqdm": not progress_enabled(config.progress), **overrides,
    }
    return load_config(None, [f"{k}={json.dumps(v)}" for k, v in values.items()])


def _eval(config: QuickstartConfig, out: Path, model: str = "model", eval_dir: str = "eval") -> bool:
    from mammoth_math.backends import make_backend
    from mammoth_math.evaluation import EvalConfig, evaluate, read_problem_records
    from mammoth_math.sandbox import open_sandbox

    records = [out / eval_dir / mode / "custom.jsonl" for mode in MODES]
    if all(path.exists() and len(read_problem_records(path)) == config.test_problems for path in records):
        return True
    threads = set_threads(config.threads)
    # Responses are cached beside the model: greedy decoding gives the same text to the same request, so hybrid
    # reuses PoT's programs and hybrid-tir TIR's turns instead of generating them again; a retrained model's
    # folder is replaced, its responses with it.
    backend = make_backend("hf", str(out / model), cache_dir=str(out / model / "responses"),
                           batch_size=config.eval_batch_size, device="cpu")
    with closing(backend), open_sandbox(timeout=5.0, workers=threads) as sandbox:
        for mode in MODES:  # finished modes resume instantly from their records
            evaluate(EvalConfig(model=str(out / model), datasets=["custom"], output_dir=str(out / eval_dir),
                                mode=mode, data_dir=str(out / "synthetic" / "test"), seed=config.seed,
                                max_new_tokens=config.max_new_tokens, progress=config.progress,
                                backend_options={"batch_size": config.eval_batch_size, "device": "cpu"}),
                     backend=backend, sandbox=sandbox)
    return False


def _family_scores(eval_dir: Path) -> dict[str, dict[str, float]]:
    """Accuracy per problem family and mode, from the evaluation records."""
    from mammoth_math.evaluation import read_problem_records

    hits: dict[str, dict[str, list[bool]]] = {}
    for mode in MODES:
        for record in read_problem_records(eval_dir / mode / "custom.jsonl"):
            hits.setdefault(record.meta.get("family", "?"), {}).setdefault(mode, []).append(bool(record.correct))
    return {fam: {m: sum(v) / len(v) for m, v in by_mode.items()} for fam, by_mode in sorted(hits.items())}
