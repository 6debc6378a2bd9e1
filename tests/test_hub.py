"""A model that cannot load is named at once, with what to do: no hub retries, no network, no torch first.

The CLI runs in its own process with a temporary ``HF_HOME`` and ``HF_ENDPOINT`` pointing at a socket of the
test's: any attempt to reach the hub would land there, and the test asserts none did.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mammoth_math.files import InputError
from mammoth_math.hub import check_model

REPO = Path(__file__).resolve().parents[1]


class FakeHub:
    """A socket standing in for the hub: it counts the connections made to it and drops each at once."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url, self.reached = f"http://127.0.0.1:{self.sock.getsockname()[1]}", 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed by the test
                return
            self.reached += 1
            conn.close()


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    fake = FakeHub()
    yield fake
    fake.sock.close()


def _eval(tmp_path: Path, model: str, endpoint: str, offline: bool) -> subprocess.CompletedProcess:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "custom.jsonl").write_text(json.dumps({"id": "a", "question": "1 + 1?", "gold": 2, "kind": "number"}) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env |= {"HF_HOME": str(tmp_path / "hf-home"), "HF_ENDPOINT": endpoint, "PYTHONPATH": str(REPO / "src"),
            **({"HF_HUB_OFFLINE": "1"} if offline else {})}
    return subprocess.run([sys.executable, "-m", "mammoth_math", "eval", "--model", model, "--datasets", "custom",
                           "--data-dir", str(data), "--output-dir", str(tmp_path / "out"), "--mode", "cot"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def test_an_uncached_hub_id_offline_is_named_with_the_fix(tmp_path: Path, hub) -> None:
    done = _eval(tmp_path, "some-org/some-math-model", hub.url, offline=True)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: some-org/some-math-model:") and "HF_HUB_OFFLINE" in last
    assert "hf download some-org/some-math-model" in last and str(tmp_path / "hf-home" / "hub") in last
    assert "Traceback" not in done.stderr and "retry" not in done.stderr.lower()
    assert hub.reached == 0


def test_a_missing_local_folder_that_looks_like_a_hub_id_fails_before_the_hub(tmp_path: Path, hub) -> None:
    """``runs/modle`` (a typo of ``runs/model``) has the shape of ``org/name``; ``runs`` is a folder here."""
    (tmp_path / "runs").mkdir()
    done = _eval(tmp_path, "runs/modle", hub.url, offline=False)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last == "error: runs/modle: no such model folder (given as --model)"
    assert hub.reached == 0  # no hub was asked


def test_check_model_passes_folders_and_cached_ids_and_names_the_rest(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "home" / "hub" / "models--org--cached" / "snapshots" / "abc123").mkdir(parents=True)
    check_model("org/cached")  # in the cache: loads offline
    check_model(str(tmp_path))  # a folder
    with pytest.raises(InputError, match="org/other.*not in the Hugging Face cache"):
        check_model("org/other")
    with pytest.raises(InputError, match="no such model folder"):
        check_model("./model")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    check_model("org/other")  # online: the loader fetches it


def test_train_names_an_uncached_base_model_before_loading_anything(tmp_path: Path, monkeypatch) -> None:
    from mammoth_math.training.config import load_config
    from mammoth_math.training.run import train

    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = load_config(REPO / "configs" / "train" / "tiny-cpu.yaml",
                         [f"output_dir={tmp_path / 'run'}", "model=org/absent-base"])
    with pytest.raises(InputError, match="org/absent-base.*given as model"):
        train(config)
    assert not (tmp_path / "run").exists()
