"""Contamination that survives rewording: n-gram stage, then retrieval, then a model check of each retrieved pair.

Top to bottom: (1) the cheap stage: a training problem sharing a 13-gram (or, short, equal as a whole) with a test
problem is flagged outright (``decontaminate``'s rule); (2) for every test problem the ``k`` most similar training
problems (``retrieve``: TF-IDF by default, or an embedding model); (3) each retrieved pair goes to a model
(``check``), whose "same" flags it and whose unknown verdict (malformed reply, server error) is kept
as unknown, never clean. With no model the pairs are reported by retrieval score and nothing is flagged by them.
Used by ``mammoth-math data contamination`` (a report for any data against any test set) and by ``data build``
(its ``contamination`` section removes the flagged rows, each naming the test problem it matched).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mammoth_math.backends import Backend
from mammoth_math.benchmarks import Problem
from mammoth_math.data.contamination.check import Checker, CheckVerdict
from mammoth_math.data.decontaminate import best_match, index_problems
from mammoth_math.data.dedup import normalize
from mammoth_math.data.examples import Example, Reject
from mammoth_math.data.retrieve import make_retriever
from mammoth_math.files import InputError


@dataclass(frozen=True)
class ContaminationConfig:
    """The retrieval and check stages (the n-gram stage's ``ngram`` and threshold are the build's own)."""

    retriever: Literal["tfidf", "embedding"] = "tfidf"
    k: int = 5  # training problems retrieved per test problem
    embedding_model: str | None = None  # the embedding retriever's sentence-transformers folder or hub id
    min_score: float = 0.0  # retrieved pairs scoring below this are neither checked nor reported
    check_model: str | None = None  # the checking model; None: retrieval only (pairs reported, nothing flagged)
    check_backend: str = "openai"  # a key of backends.BACKENDS
    base_url: str | None = None  # the openai backend's server, ending in /v1
    max_new_tokens: int = 256
    cache_dir: str | None = None  # the check's response cache; None: beside the output
    ngram: int = 13  # the cheap first stage's n-gram length in words (the build uses its own ngram and threshold)
    # share of a training question's n-grams found in one test item that flags it; 0: any (GPT-3's rule), but
    # competition boilerplate ("relatively prime positive integers. Find m+n") then flags unrelated problems
    ngram_threshold: float = 0.5
    tests: tuple[str, ...] = ("mammoth",)  # data build: the test sets (names, suites) checked against

    def __post_init__(self) -> None:
        if self.k < 1 or self.ngram < 1 or self.max_new_tokens < 1:
            raise ValueError(f"contamination: k, ngram and max_new_tokens must be >= 1 ({self})")
        if self.retriever == "embedding" and not self.embedding_model:
            raise ValueError("contamination: the embedding retriever needs embedding_model")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def contamination_config(raw: Any, path: str = "<config>", field_name: str = "contamination") -> ContaminationConfig:
    """A config from a YAML mapping; an unknown key or a bad value fails naming the file and the key."""
    known = {f.name for f in dataclasses.fields(ContaminationConfig)}
    if not isinstance(raw, dict):
        raise InputError(path, "expected a mapping of ContaminationConfig keys", field=field_name)
    for key in raw:
        if key not in known:
            raise InputError(path, f"unknown key (known: {', '.join(sorted(known))})", field=f"{field_name}.{key}")
    try:
        return ContaminationConfig(**{k: tuple(v) if k == "tests" else v for k, v in raw.items()})
    except (TypeError, ValueError) as e:
        raise InputError(path, str(e), field=field_name) from None


@dataclass(frozen=True)
class TrainText:
    """One distinct training question and every row id that carries it."""

    question: str
    ids: tuple[str, ...]


@dataclass
class Pair:
    """A (test problem, training problem) pair a stage found, with the verdict that decides it."""

    test: Problem
    train: TrainText
    stage: Literal["ngram", "retrieval"]
    score: float  # n-gram: share of the training question's n-grams found in the test item; retrieval: similarity
    rank: int = 0  # retrieval: 0 for the most similar training problem of this test problem
    verdict: CheckVerdict | None = None  # retrieval pairs after the check; None: not checked

    @property
    def flagged(self) -> bool:
        return self.stage == "ngram" or (self.verdict is not None and self.verdict.same is True)

    @property
    def unknown(self) -> bool:
        return self.verdict is not None and self.verdict.same is None

    def to_dict(self) -> dict[str, Any]:
        return {"benchmark": self.test.benchmark, "test_id": self.test.id, "test_question": self.test.question,
                "train_ids": list(self.train.ids), "train_question": self.train.question, "stage": self.stage,
                "score": round(float(self.score), 4), "rank": self.rank, "flagged": self.flagged,
                "verdict": self.verdict.to_dict() if self.verdict else None}


def distinct_texts(rows: Sequence[tuple[str, str]]) -> list[TrainText]:
    """(id, question) rows joined by question (CoT and PoT rows of one problem share it), in first-seen order."""
    found: dict[str, tuple[str, list[str]]] = {}
    for row_id, question in rows:
        found.setdefault(" ".join(normalize(question)) or question, (question, []))[1].append(row_id)
    return [TrainText(q, tuple(ids)) for q, ids in found.values()]


def ngram_pairs(train: Sequence[TrainText], tests: Sequence[Problem], n: int = 13,
                threshold: float = 0.0) -> list[Pair]:
    """Stage 1: each training question sharing n-grams with a test item (at least ``threshold`` of its own)."""
    index = index_problems(tests, n)
    by_id = {p.id: p for p in tests}
    pairs = []
    for text in train:
        match = best_match(text.question, index)
        if match is not None and match[1] / match[2] >= threshold:
            pairs.append(Pair(by_id[match[0]], text, "ngram", match[1] / match[2]))
    return pairs


def retrieval_pairs(train: Sequence[TrainText], tests: Sequence[Problem], config: ContaminationConfig,
                    progress: bool = False) -> list[Pair]:
    """Stage 2: the ``k`` most similar training questions of every test problem, scoring at least ``min_score``."""
    if not train or not tests:
        return []
    retriever = make_retriever(config.retriever, progress=progress,
                               **({"model": config.embedding_model} if config.retriever == "embedding" else {}))
    retriever.fit([t.question for t in train])
    hits = retriever.search([p.question for p in tests], config.k)
    pairs = []
    for problem, indices, scores in zip(tests, hits.indices, hits.scores):
        for rank, (i, score) in enumerate(zip(indices, scores)):
            if i >= 0 and score >= config.min_score:
                pairs.append(Pair(problem, train[int(i)], "retrieval", float(score), rank))
    return pairs


def check_pairs(pairs: Sequence[Pair], checker: Checker) -> None:
    """Stage 3: set each retrieval pair's verdict (n-gram pairs need none)."""
    asked = [p for p in pairs if p.stage == "retrieval"]
    for pair, verdict in zip(asked, checker.check([(p.test.question, p.train.question) for p in asked])):
        pair.verdict = verdict


def make_checker(config: ContaminationConfig, cache_dir: str | None, backend: Backend | None = None,
                 progress: bool = False) -> Checker | None:
    """The configured checking model behind the response cache (``backend`` replaces it); None without one."""
    from mammoth_math.backends import make_backend
    from mammoth_math.backends.cache import CachingBackend

    if backend is not None:
        return Checker(CachingBackend(backend, cache_dir) if cache_dir else backend, config.max_new_tokens,
                       progress=progress)
    if config.check_model is None:
        return None
    options = {"base_url": config.base_url, "endpoint": "chat"} if config.check_backend == "openai" else {}
    return Checker(make_backend(config.check_backend, config.check_model, cache_dir=cache_dir, **options),
                   config.max_new_tokens, progress=progress)


@dataclass
class Contamination:
    """Every pair the stages found for a set of test problems, and what the stages were."""

    pairs: list[Pair]
    tests: list[Problem]
    info: dict[str, Any] = field(default_factory=dict)


def find_contamination(train: Sequence[TrainText], tests: Sequence[Problem], config: ContaminationConfig,
                       checker: Checker | None = None, progress: bool = False) -> Contamination:
    """The three stages over ``train`` and ``tests``; see the module docstring."""
    pairs = ngram_pairs(train, tests, config.ngram, config.ngram_threshold)
    found = retrieval_pairs(train, tests, config, progress)
    if checker is not None:
        check_pairs(found, checker)
    info = {"config": config.to_dict(), "checker": checker.info() if checker else None,
            "train_problems": len(train), "train_rows": sum(len(t.ids) for t in train)}
    return Contamination(pairs + found, list(tests), info)


def decontaminate_similar(examples: Sequence[Example], tests: Sequence[Problem], config: ContaminationConfig,
                          checker: Checker, progress: bool = False) -> tuple[list[Example], list[Reject]]:
    """The builder's stages 2 and 3: remove rows whose question the model calls the same as a test problem, or
    could not judge (unknown is never clean); each removal names the test problem and shows its text."""
    texts = distinct_texts([(e.id, e.question) for e in examples])
    pairs = retrieval_pairs(texts, tests, config, progress)
    check_pairs(pairs, checker)
    why: dict[str, tuple[str, Pair]] = {}
    for pair in sorted(pairs, key=lambda p: (not p.flagged, -p.score)):  # a "same" outranks an unknown
        if pair.flagged or pair.unknown:
            for row_id in pair.train.ids:
                why.setdefault(row_id, ("same_problem" if pair.flagged else "check_unknown", pair))
    kept, removed = [], []
    for e in examples:
        if e.id not in why:
            kept.append(e)
            continue
        reason, pair = why[e.id]
        error = f"; check failed: {pair.verdict.error}" if reason == "check_unknown" and pair.verdict else ""
        removed.append(Reject(e.source, e.id, e.rationale_type, "decontaminate", reason,
                              f"{pair.test.id} (similarity {pair.score:.3f}{error}): {pair.test.question}"))
    return kept, removed
