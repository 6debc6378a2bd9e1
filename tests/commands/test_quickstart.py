"""`quickstart`: a bad number is refused by the parser before anything is written."""

from __future__ import annotations

import pytest
from helpers.cli import usage_error

from mammoth_math.synthetic.quickstart import QuickstartConfig, run_quickstart


def test_quickstart_threads_0_writes_nothing_so_the_corrected_command_is_not_refused(capsys, tmp_path):
    out = tmp_path / "qs"
    usage_error(capsys, ["quickstart", "--threads", "0", "--out", str(out)], "--threads", "must be >= 1")
    assert not out.exists()
    with pytest.raises(ValueError, match="threads must be >= 1"):  # the library refuses it before writing too
        run_quickstart(QuickstartConfig(out_dir=str(out), threads=0))
    with pytest.raises(ValueError, match="minutes must be > 0"):
        QuickstartConfig.for_minutes(-1, out_dir=str(out))
    assert not out.exists()
