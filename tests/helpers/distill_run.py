"""Run ``distill`` in a fresh process (the kill -9 test's victim): ``python distill_run.py CONFIG OUT [SLEEP_S]``.

SLEEP_S > 0 slows each generation call of the hf teacher, so the parent can kill the run between problems.
"""

from __future__ import annotations

import sys
import time

from mammoth_math.backends.hf import HFBackend
from mammoth_math.data import distill, load_distill_config


class SlowHF(HFBackend):
    def __init__(self, model: str, sleep_s: float):
        super().__init__(model)
        self.sleep_s = sleep_s

    def generate(self, requests, progress=False):
        time.sleep(self.sleep_s)
        return super().generate(requests, progress)


if __name__ == "__main__":
    config = load_distill_config(sys.argv[1])
    sleep_s = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    distill(config, sys.argv[2], backend=SlowHF(config.model, sleep_s) if sleep_s else None, progress=False)
