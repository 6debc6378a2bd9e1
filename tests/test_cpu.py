"""The thread picker reads what is free now from /proc/stat (faked readings here); a resumable CPU job keeps the
thread count it started with: float sums depend on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mammoth_math.cpu import (
    AdaptiveThreads,
    CpuReading,
    free_threads,
    others_busy,
    parse_proc_stat,
    pick_threads,
    recorded_threads,
    run_threads,
    usable_cores,
)
from mammoth_math.files import read_json

STAT = """cpu  {user} 0 {system} {idle} {iowait} 0 0 0 0 0
cpu0 100 0 10 900 0 0 0 0 0 0
cpu1 100 0 10 900 0 0 0 0 0 0
intr 12345 0 0
ctxt 99
"""


def stat(user: int, system: int, idle: int, iowait: int = 0) -> str:
    return STAT.format(user=user, system=system, idle=idle, iowait=iowait)


def reading(text: str, own_s: float, at_s: float) -> CpuReading:
    return CpuReading(*parse_proc_stat(text), own_s=own_s, at_s=at_s)


def test_proc_stat_counts_idle_and_iowait_as_free_and_the_cpu_lines() -> None:
    assert parse_proc_stat(stat(user=300, system=100, idle=1500, iowait=100)) == (400, 2000, 2)


def test_idle_machine_with_a_high_load_average_gives_every_core() -> None:
    # The case: another job just ended, the load average still says 2, but over the window nothing ran.
    before, after = reading(stat(1000, 0, 5000), 0.0, 0.0), reading(stat(1001, 0, 5199), 0.0, 1.0)
    assert others_busy(before, after) == pytest.approx(0.01)
    assert pick_threads(usable=2, cpus=2, busy=others_busy(before, after)) == 2


def test_one_busy_competitor_leaves_one_thread() -> None:
    before, after = reading(stat(1000, 0, 5000), 0.0, 0.0), reading(stat(1100, 0, 5100), 0.0, 1.0)
    assert others_busy(before, after) == pytest.approx(1.0)
    assert pick_threads(2, 2, others_busy(before, after)) == 1


def test_this_process_own_use_is_not_a_competitor() -> None:
    # Both cores busy over one second, 1.9 s of it ours (two training threads): 0.1 cores for the rest.
    before, after = reading(stat(1000, 0, 5000), 10.0, 0.0), reading(stat(1200, 0, 5000), 11.9, 1.0)
    assert others_busy(before, after) == pytest.approx(0.1)
    assert pick_threads(2, 2, others_busy(before, after)) == 2


@pytest.mark.parametrize(("usable", "cpus", "busy", "threads"), [
    (2, 2, 0.0, 2), (2, 2, 0.2, 2), (2, 2, 0.5, 1), (2, 2, 2.0, 1), (2, 2, 7.5, 1),  # never fewer than one
    (2, 16, 0.0, 2),  # never more than the affinity mask allows
    (16, 16, 3.0, 13), (16, 16, 3.9, 12),
])
def test_pick_threads(usable: int, cpus: int, busy: float, threads: int) -> None:
    assert pick_threads(usable, cpus, busy) == threads


def test_adaptive_threads_follow_a_competitor_that_comes_and_goes() -> None:
    readings = iter([
        reading(stat(0, 0, 0), 0.0, 0.0),
        reading(stat(100, 0, 100), 1.0, 1.0),  # too soon after the last pick: not looked at
        reading(stat(1000, 0, 1000), 10.0, 10.0),  # one core ours, the other idle: take it
        reading(stat(3000, 0, 1000), 29.0, 20.0),  # we used 1.9 cores: still alone
        reading(stat(5000, 0, 1000), 39.0, 30.0),  # a competitor took a core
        reading(stat(6000, 0, 2000), 49.0, 40.0),  # gone again
    ])
    applied: list[int] = []
    adaptive = AdaptiveThreads(interval_s=5.0, reader=lambda: next(readings), apply=applied.append, usable=2, threads=1)
    assert [adaptive.update() for _ in range(5)] == [1, 2, 2, 1, 2]
    assert applied == [2, 1, 2]  # applied only when the count changes


def test_without_proc_stat_the_count_stays() -> None:
    adaptive = AdaptiveThreads(reader=lambda: None, apply=lambda n: None, usable=2, threads=1)
    assert adaptive.update() == 1


def test_free_threads_stays_within_the_usable_cores() -> None:
    assert 1 <= free_threads(sample_s=0.05) <= usable_cores()


def test_first_run_records_its_count_and_a_resume_reuses_it(tmp_path) -> None:
    record = tmp_path / "out" / "cpu_threads.json"
    assert recorded_threads(3, record) == 3
    assert read_json(record) == {"threads": 3}
    assert recorded_threads(None, record) == 3  # no flag: the recorded count, not the free cores
    assert recorded_threads(3, record) == 3


def test_a_different_count_on_resume_is_refused_naming_the_file(tmp_path) -> None:
    record = tmp_path / "cpu_threads.json"
    recorded_threads(2, record)
    with pytest.raises(ValueError, match=r"cpu_threads\.json: field 'threads'.*--threads 2"):
        recorded_threads(1, record)


def test_without_a_flag_a_new_run_records_the_free_cores(tmp_path) -> None:
    record = tmp_path / "cpu_threads.json"
    count = recorded_threads(None, record)
    assert read_json(record) == {"threads": count} and 1 <= count <= usable_cores()


def test_a_run_keeps_its_folder_s_thread_count_on_cpu(tmp_path: Path) -> None:
    """run_threads: what eval and train use; on CPU the output folder's record decides (on a GPU, the flag)."""
    import torch

    if torch.cuda.is_available():
        assert run_threads(3, tmp_path) == 3 and not (tmp_path / "cpu_threads.json").exists()
        return
    assert run_threads(3, tmp_path / "out") == 3
    assert read_json(tmp_path / "out" / "cpu_threads.json") == {"threads": 3}
    assert run_threads(None, tmp_path / "out") == 3
    with pytest.raises(ValueError, match="made with --threads 3"):
        run_threads(2, tmp_path / "out")
