"""A real Slurm cluster for the launch tests: required under CI or wherever Slurm is installed.

Where neither holds (a developer machine without ``slurm-wlm``), the cluster tests skip and say so; everywhere
else a cluster that does not start fails the test with the daemons' logs.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import pytest
from helpers.fixtures import tiny_model_dir  # noqa: F401  (fixture)

from mammoth_math.launch.local import ClusterError, missing_binaries, slurm_cluster


@pytest.fixture(scope="session")
def slurm_installed() -> None:
    missing = missing_binaries()
    if missing and os.environ.get("CI") != "true":
        pytest.skip(f"Slurm is not installed here (no {', '.join(missing)}): apt-get install slurm-wlm munge "
                    "(.ci/run does) to run the cluster tests")
    if missing:
        pytest.fail(f"CI must run the Slurm tests, but {', '.join(missing)} are missing (apt-get install slurm-wlm munge)")


@pytest.fixture(scope="module")
def slurm_conf(slurm_installed: None, tmp_path_factory: pytest.TempPathFactory):
    with ExitStack() as stack:
        try:
            conf = stack.enter_context(slurm_cluster(Path(tmp_path_factory.mktemp("slurm"))))
        except ClusterError as e:
            pytest.fail(f"{e}\n{e.logs}")
        yield conf


@pytest.fixture
def slurm(slurm_conf: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The cluster's config, in ``SLURM_CONF`` for sbatch/squeue and the jobs they start."""
    monkeypatch.setenv("SLURM_CONF", slurm_conf)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    return slurm_conf
