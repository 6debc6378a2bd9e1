"""The quickstart's RL stage (``--rl``): GRPO on the SFT model, aimed at what SFT left undone, then its evaluation.

SFT leaves multiple choice under ``tir`` near chance: the blocks compute the right value, but the model does not
map it to the option letter. One TIR row in ten of the quickstart's data names the option by its text instead
(``tir_choice_text``), so the SFT policy sometimes writes that form, and RL reinforces it: GRPO can only amplify
what its rollouts sometimes do (without it, a text answer was about 3 rollouts in 10,000 and the run stayed near
chance). The stage trains with TRL's GRPO (``training.grpo``: the same rewards as
``train --config configs/train/grpo-*.yaml``, graded as the evaluation grades) on the training set's
problems of every family with their golds, every rollout a ``tir`` one (blocks run in the sandbox, the output
spliced in and masked from the loss). Its steps come from ``--minutes`` (:func:`rl_steps`). The RL model is
evaluated in every mode like the SFT model; :func:`rl_section` puts its columns (``cot rl``, ...) beside the SFT
ones and the reward curves (one per reward function, from the trainer's log) into the report, and
:func:`add_curves` appends them to ``report.png``. Everything goes under ``<out>/rl/``; each stage resumes, and
new RL settings on the same folder keep the SFT model and retrain only the RL one.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mammoth_math.files import atomic_writer, iter_jsonl, read_json, write_json, write_jsonl
from mammoth_math.pages import escape
from mammoth_math.synthetic.rounds import accuracy_table_html, side_by_side

if TYPE_CHECKING:
    from mammoth_math.evaluation import ReportSection

RL = "rl"
# GRPO steps per minute of the SFT budget: 100 for the default 10 minutes, which take about 70 s on 2 free cores
# (a step: 8 tir rollouts of up to 160 tokens generated as one batch, blocks run in the sandbox, one update). At
# the default learning rate the correctness reward reaches 1 within the first 20 steps of the default run.
RL_STEPS_PER_MINUTE = 10
GENERATIONS = 8  # rollouts per prompt: the group whose rewards GRPO compares
SMOOTHING = 10  # steps in the running mean the curves and the report's summary show


@dataclass
class RLStage:
    table: list[dict[str, Any]]  # the RL model's evaluation rows, as the SFT model's
    families: dict[str, dict[str, float]]
    rewards: dict[str, list[float]]  # reward function -> its mean per logged step
    steps: int
    prompts: int
    skipped: bool = False  # model and evaluation found complete: nothing was run again


def rl_steps(minutes: float) -> int:
    """GRPO steps for an SFT budget of ``minutes``."""
    return max(2, round(RL_STEPS_PER_MINUTE * minutes))


def rl_stage(config: Any, out: Path, evaluate: Callable, family_scores: Callable, naming: Any) -> RLStage:
    """Run (or resume) the RL stage on ``out/model`` with the quickstart's ``evaluate`` stage function."""
    from dataclasses import replace

    from mammoth_math.evaluation import build_report
    from mammoth_math.training.grpo.run import reward_curves

    folder = out / RL
    settings = {"rl_steps": config.rl_steps, "rl_learning_rate": config.rl_learning_rate, "rl_prompts": "every family"}
    recorded = folder / "rl.json"
    if recorded.exists() and read_json(recorded) != settings:  # new settings: train again from the SFT model
        for stale in ("model", "eval"):
            shutil.rmtree(folder / stale, ignore_errors=True)
        (folder / "prompts.jsonl").unlink(missing_ok=True)
    prompts = _prompts(out, folder)
    trained = _train(config, out, folder, prompts, settings)
    evaluated = evaluate(config, out, f"{RL}/model", f"{RL}/eval")
    table = build_report(folder / "eval", naming=replace(naming, title=f"{naming.title}, after GRPO")).table
    state = read_json(folder / "model" / "trainer_state.json")
    return RLStage(table, family_scores(folder / "eval"), reward_curves(state["log_history"]), state["global_step"],
                   sum(1 for _ in iter_jsonl(prompts)), trained and evaluated)


def _prompts(out: Path, folder: Path) -> Path:
    """The training set's problems of every family with their golds, each a ``tir`` rollout: multiple choice is
    what SFT left at chance, and the others keep rewarding what SFT got right (on choice alone, the policy drifted:
    arithmetic under ``tir`` 72.0 to 62.7, against 73.3 with every family, on one SFT model)."""
    path = folder / "prompts.jsonl"
    if not path.exists():
        train = iter_jsonl(out / "synthetic" / "train.jsonl")
        rows = [{"question": row["question"], "gold": row["gold"], "kind": row["kind"], "options": row["options"],
                 "rollout": "tir"} for _, row in train]
        write_jsonl(path, rows)
    return path


def _train(config: Any, out: Path, folder: Path, prompts: Path, settings: dict[str, Any]) -> bool:
    """GRPO from the SFT model into ``rl/model``; a finished model with the same settings is kept (True)."""
    from mammoth_math.cpu import set_threads
    from mammoth_math.training import AdaptiveThreadsCallback, train_grpo

    model = folder / "model"
    if (model / "model.safetensors").exists():
        return True
    write_json(folder / "rl.json", settings)
    threads = set_threads(config.threads)
    # as SFT: a second job on the cores would stall every torch thread at every op (7x slower steps, measured)
    train_grpo(grpo_config(config, out, prompts, model, threads),
               callbacks=[] if config.threads else [AdaptiveThreadsCallback()])
    return False


def grpo_config(config: Any, out: Path, prompts: Path, model: Path, threads: int) -> Any:
    """The RL stage's ``GRPOTrainConfig``: the SFT model, ``tir`` rollouts, a constant learning rate."""
    from mammoth_math.progress import progress_enabled
    from mammoth_math.training import load_grpo_config

    steps = config.rl_steps
    values = {
        "model": str(out / "model"), "prompts": [str(prompts)], "rollout": "tir", "output_dir": str(model),
        "use_cpu": True, "bf16": False, "activation_checkpointing": False, "gradient_checkpointing": False,
        "num_generations": GENERATIONS, "per_device_train_batch_size": GENERATIONS,
        "max_completion_length": config.max_new_tokens, "overlong_cache": config.max_new_tokens // 5,
        "temperature": 1.0, "beta": 0.0, "loss_type": "dapo",
        "learning_rate": config.rl_learning_rate, "lr_scheduler_type": "constant", "max_steps": steps,
        "logging_steps": 1, "save_strategy": "steps", "save_steps": max(2, steps // 4), "save_total_limit": 1,
        "report_to": "none", "seed": config.seed, "data_seed": config.seed, "dataloader_num_workers": 0,
        "sandbox_workers": threads, "disable_tqdm": not progress_enabled(config.progress),
    }
    return load_grpo_config(None, [f"{k}={json.dumps(v)}" for k, v in values.items()])


def running_mean(values: Sequence[float], window: int) -> list[float]:
    """The mean of each value and the ``window - 1`` before it (fewer at the start)."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value - (values[i - window] if i >= window else 0.0)
        out.append(total / min(i + 1, window))
    return out


def curves_png(rewards: dict[str, list[float]], path: Path) -> None:
    """Each reward function's running mean over the GRPO steps (its raw per-step values faint beneath), written
    atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to a file
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for k, (name, values) in enumerate(rewards.items()):
        steps = range(1, len(values) + 1)
        color = f"C{k}"
        # one prompt a step makes the raw curve jump between 0 and 1: faint, under the running mean it hides
        ax.plot(steps, values, color=color, alpha=0.25, linewidth=0.8)
        ax.plot(steps, running_mean(values, SMOOTHING), color=color, linewidth=2,
                linestyle=("-", "--", ":")[k % 3], label=f"{name} (mean of {SMOOTHING} steps)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("mean reward")
    ax.set_title("quickstart RL: reward per step (tir rollouts, every family)", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(title="reward", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    with atomic_writer(path, "wb") as f:  # "tight": the title and the legend beside the axes stay whole
        fig.savefig(f, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def add_curves(chart: Path, curves: Path) -> None:
    """``report.png`` with the reward curves below its accuracy chart (both images as they were drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top, bottom = plt.imread(str(chart)), plt.imread(str(curves))
    width = max(top.shape[1], bottom.shape[1])
    fig = plt.figure(figsize=(width / 110, (top.shape[0] + bottom.shape[0]) / 110), dpi=110)
    for image, (y, h) in ((top, (bottom.shape[0], top.shape[0])), (bottom, (0, bottom.shape[0]))):
        total = top.shape[0] + bottom.shape[0]
        ax = fig.add_axes((0, y / total, image.shape[1] / width, h / total))
        ax.imshow(image)
        ax.axis("off")
    with atomic_writer(chart, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


def rl_section(modes: Sequence[str], sft_table: list[dict[str, Any]], sft_families: dict[str, dict[str, float]],
               stage: RLStage, curves: Path) -> ReportSection:
    """SFT and RL side by side for the report: ``rl`` rows (one per family, then ``all``; columns ``cot``, ...,
    ``cot rl``, ...) and, in the page, the reward curves (``curves``, a PNG) below them."""
    from mammoth_math.evaluation import ReportSection

    rows = side_by_side(modes, sft_table, sft_families, stage.table, stage.families, "rl")
    return ReportSection("rl", rows, _rl_html(rows, stage, curves))


def rewards_section(stage: RLStage) -> ReportSection:
    """The reward curves as ``results.json`` rows under ``rl_rewards`` (drawn in the ``rl`` section)."""
    from mammoth_math.evaluation import ReportSection

    return ReportSection("rl_rewards", [{"reward": name, "mean_per_step": values}
                                        for name, values in stage.rewards.items()], "")


def _rl_html(rows: list[dict[str, Any]], stage: RLStage, curves: Path) -> str:
    last = ", ".join(f"{escape(name)} {running_mean(values, SMOOTHING)[-1]:.3f}"
                     for name, values in stage.rewards.items() if values)
    image = base64.b64encode(curves.read_bytes()).decode("ascii")
    return (f'<section id="rl"><h2>GRPO after SFT: accuracy (%) before and after (columns <i>rl</i>)</h2>'
            f"<p>{stage.steps} GRPO steps on {stage.prompts} training problems of every family, "
            f"{GENERATIONS} tir rollouts each, rewarded by the evaluation's grading (mean of the last "
            f"{SMOOTHING} steps: {last or 'none'}).</p>"
            f"{accuracy_table_html(rows)}"
            f'<img id="rl-curves" alt="reward per GRPO step" src="data:image/png;base64,{image}"></section>')
