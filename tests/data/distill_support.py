"""Shared pieces of the distillation tests: a GSM8K-shaped problem file, a config, a scripted teacher."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from mammoth_math.backends import Completion, GenerationRequest

PROBLEMS = [("Tom has 2 apples and buys 3 more. How many apples does he have?", "5"),
            ("A box holds 5 pens. How many pens are in 2 boxes?", "10"),
            ("Sara reads 4 pages a day. How many pages does she read in 3 days?", "12"),
            ("There are 9 birds and 4 fly away. How many birds are left?", "5")]


def write_problems(folder: Path) -> Path:
    """A ``gsm8k/train.jsonl`` under ``folder`` (a train_dir) holding :data:`PROBLEMS`."""
    path = folder / "gsm8k" / "train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"question": q, "answer": f"Work it out.\n#### {a}"}) + "\n"
                            for q, a in PROBLEMS))
    return folder


def write_config(path: Path, train_dir: Path, **values: Any) -> Path:
    config = {"sources": [{"name": "gsm8k", "types": ["cot"]}], "train_dir": str(train_dir), "model": "scripted",
              "k": 4, "batch_size": 2, "max_per_problem": 2, "timeout": 2.0, "workers": 2} | values
    path.write_text(yaml.safe_dump(config))
    return path


class ScriptedTeacher:
    """A backend answering each problem (found by its question in the prompt) with chosen texts per type."""

    name = "scripted"

    def __init__(self, texts: dict[str, dict[str, list[str]]]):
        self.texts = texts
        self.requests = 0
        self.prompts: list = []

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.requests += len(requests)
        self.prompts += [r.prompt for r in requests]
        out = []
        for r in requests:
            content = r.prompt if isinstance(r.prompt, str) else r.prompt[0]["content"]
            pot = content.startswith("Write a Python program") or "Let's write a program.\n\n### Response:" in content
            kind = "pot" if pot else "cot"
            question = next(q for q in self.texts if q in content)
            out.append(Completion(list(self.texts[question][kind][:r.n])))
        return out

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": "scripted"}

    def chat_template(self) -> str | None:
        return None

    def close(self) -> None:
        pass
