"""A resumable CPU job keeps the thread count it started with: float sums depend on it."""

from __future__ import annotations

import pytest

from mammoth_math.cpu import free_threads, recorded_threads, usable_cores
from mammoth_math.files import read_json


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
