"""The sandbox service's counters, written out in Prometheus' text format for ``GET /metrics``.

Outcomes and refusals are fixed vocabularies: a program chooses its own exception names, so they never
become label values (a model could otherwise grow the metrics without bound or write text into them).
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter, deque

from mammoth_math.sandbox.result import ExecResult

OUTCOMES = ("ok", "program_error", "timeout", "memory", "sandbox_error")
REFUSALS = ("unauthorized", "bad_request", "too_large", "slow_body", "queue_full", "draining", "not_found")
_WINDOW = 4096  # latencies kept for the quantiles: the most recent runs, so p95 follows the load


def outcome(result: ExecResult) -> str:
    if result.error is None:
        return "ok"
    if result.timed_out:
        return "timeout"
    if result.memory_exceeded:
        return "memory"
    if result.error.startswith("SandboxError"):
        return "sandbox_error"
    return "program_error"


class Metrics:
    """Thread-safe counters: runs by outcome, refusals by reason, latency (admission to result) per run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.runs: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._latency: deque[float] = deque(maxlen=_WINDOW)
        self._latency_sum = 0.0
        self._latency_count = 0

    def record(self, result: ExecResult, seconds: float) -> None:
        with self._lock:
            self.runs[outcome(result)] += 1
            self._latency.append(seconds)
            self._latency_sum += seconds
            self._latency_count += 1

    def refuse(self, reason: str) -> None:
        with self._lock:
            self.refused[reason] += 1

    def text(self, gauges: dict[str, tuple[str, float]]) -> str:
        """Prometheus exposition text; ``gauges`` maps a name to (help, value)."""
        with self._lock:
            window = sorted(self._latency)
            runs, refused = dict(self.runs), dict(self.refused)
            total, count = self._latency_sum, self._latency_count
        lines = []
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP mammoth_sandbox_{name} {help_text}", f"# TYPE mammoth_sandbox_{name} gauge",
                      f"mammoth_sandbox_{name} {value:g}"]
        lines += ["# HELP mammoth_sandbox_runs_total Programs and session blocks run, by outcome.",
                  "# TYPE mammoth_sandbox_runs_total counter"]
        lines += [f'mammoth_sandbox_runs_total{{outcome="{o}"}} {runs.get(o, 0)}' for o in OUTCOMES]
        lines += ["# HELP mammoth_sandbox_refused_total Requests refused before running, by reason.",
                  "# TYPE mammoth_sandbox_refused_total counter"]
        lines += [f'mammoth_sandbox_refused_total{{reason="{r}"}} {refused.get(r, 0)}' for r in REFUSALS]
        lines += ["# HELP mammoth_sandbox_latency_seconds Seconds from admission to result, per run "
                  f"(quantiles over the last {_WINDOW}).", "# TYPE mammoth_sandbox_latency_seconds summary"]
        for q in (0.5, 0.95):
            value = _quantile(window, q)
            lines.append(f'mammoth_sandbox_latency_seconds{{quantile="{q}"}} {"NaN" if value is None else f"{value:.6f}"}')
        lines += [f"mammoth_sandbox_latency_seconds_sum {total:.6f}", f"mammoth_sandbox_latency_seconds_count {count}"]
        return "\n".join(lines) + "\n"


def _quantile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q * 100) - 1]
