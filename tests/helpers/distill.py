"""Shared pieces of the distillation tests: a GSM8K-shaped problem file, a config, a scripted teacher and its
replies."""

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

(Q1, _), (Q2, _), (Q3, _), (Q4, _) = PROBLEMS
# The scripted teacher's replies per problem and type, with known outcomes under the default filters.
TEXTS = {
    Q1: {"cot": ["2 + 3 = 5. The answer is 5.", "The answer is 6.", "2 + 3 = 6. The answer is 5.", "The answer is 5."],
         "pot": ["print(2 + 3)", "print(5)", "print(6)", "apples = 2 + 3\nprint(apples)"]},
    Q2: {"cot": ["5 * 2 = 10. The answer is 10."] * 4, "pot": ["print(5 * 2)"] * 4},  # always right: too easy
    Q3: {"cot": ["The answer is 7."] * 4, "pot": ["print(7)"] * 4},  # never right: hopeless
    Q4: {"cot": ["9 - 4 = 5. The answer is 5.", "The answer is 4. Or the answer is 5.", "", "The answer is 13."],
         "pot": ["print(9 - 4)", "print(9 - 4)", "x = 9\nprint(x - 4)", "print(4)"]},
}


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
