"""Benchmark: contamination retrieval (the model-free TF-IDF retriever) of every test problem of the 21 test sets
(the ten MAmmoTH sets and the eleven modern ones) against (1) the MathInstruct build (~30k rows) and (2) 260k
synthetic rows at MathInstruct's real size, against the brute-force way: every pair compared one at a time
(word-set Jaccard in Python), timed on a sample of test problems and scaled to all of them.

Run: ``nice python bench/bench_contamination.py [--train runs/mathinstruct] [--rows 260000] [--sample 20]``.
Without ``--train`` the training rows are the sources of configs/data/mathinstruct.yaml as read (before
verification, about the build's size). Target: minutes, not hours, on 2 cores. Prints times and the ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")  # 2 cores, as the issue asks
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

from mammoth_math.benchmarks import SUITES, load_problems  # noqa: E402
from mammoth_math.data.contamination.stages import distinct_texts  # noqa: E402
from mammoth_math.data.contamination.run import read_train  # noqa: E402
from mammoth_math.data.dedup import normalize  # noqa: E402
from mammoth_math.data.retrieve import TfidfRetriever  # noqa: E402

_NUMBER = re.compile(r"\d+")


def synthetic(questions: list[str], rows: int, seed: int = 0) -> list[str]:
    """``rows`` questions made from real ones with every number redrawn: the vocabulary of real data, no copies."""
    rng = random.Random(seed)
    return [_NUMBER.sub(lambda m: str(rng.randint(1, 10 ** len(m.group()))), questions[i % len(questions)])
            for i in range(rows)]


def brute_force_seconds(queries: list[str], corpus: list[str], sample: int) -> tuple[float, list[int]]:
    """Seconds per query of comparing it with every training text pair by pair, and each sampled query's best."""
    sets = [set(normalize(t)) for t in corpus]
    start = time.perf_counter()
    best = []
    for q in queries[:sample]:
        words = set(normalize(q))
        scores = [len(words & s) / (len(words | s) or 1) for s in sets]
        best.append(max(range(len(scores)), key=scores.__getitem__))
    return (time.perf_counter() - start) / sample, best


def run(name: str, corpus: list[str], queries: list[str], k: int, sample: int) -> None:
    retriever = TfidfRetriever()
    start, cpu = time.perf_counter(), time.process_time()
    retriever.fit(corpus)
    fit = time.perf_counter() - start
    hits = retriever.search(queries, k)
    search, cpu = time.perf_counter() - start - fit, time.process_time() - cpu
    brute_cpu = time.process_time()
    per_query, best = brute_force_seconds(queries, corpus, sample)
    brute, brute_cpu = per_query * len(queries), (time.process_time() - brute_cpu) / sample * len(queries)
    agree = sum(b in hits.indices[i] for i, b in enumerate(best)) / len(best)
    print(f"{name}: {len(corpus):,} training problems x {len(queries):,} test problems, k={k} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  tf-idf retrieval: index {fit:.1f} s + search {search:.1f} s = {fit + search:.1f} s wall "
          f"({(fit + search) / 60:.1f} min), {cpu:.1f} s CPU")
    print(f"  brute force (pairwise Jaccard, {sample} problems timed): {per_query:.2f} s per test problem -> "
          f"{brute:.0f} s wall ({brute / 3600:.2f} h), {brute_cpu:.0f} s CPU for all; ratio "
          f"{brute / (fit + search):.1f}x wall, {brute_cpu / cpu:.1f}x CPU")
    # most test problems have no copy in the training data: their "best" match is noise in both rankings
    print(f"  the brute force's best match is in the retriever's top {k} for {agree:.0%} of the sampled problems")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", default="configs/data/mathinstruct.yaml", help="a build folder, config or JSONL")
    parser.add_argument("--eval-dir", default="../shared/data/eval")
    parser.add_argument("--rows", type=int, default=260_000, help="synthetic training rows for the second run")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--sample", type=int, default=20, help="test problems timed for the brute force")
    args = parser.parse_args()

    queries = [p.question for name in SUITES["all"] for p in load_problems(name, args.eval_dir)]
    random.Random(1).shuffle(queries)  # the brute-force sample spans every set
    real = [t.question for t in distinct_texts(read_train(args.train))]
    run(f"MathInstruct ({args.train})", real, queries, args.k, args.sample)
    run(f"synthetic ({args.rows:,} rows)", synthetic(real, args.rows), queries, args.k, args.sample)


if __name__ == "__main__":
    main()
