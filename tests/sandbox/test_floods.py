"""Issue 23, class 1: floods of entries in /tmp. Bytes were capped, entries were not: hard links, empty files,
directories, symlinks and fifos cost no bytes, and the wipe after a flood ran in the time of the next
program. Each attack floods one way for as long as it may, then innocent programs must answer as in a clean
sandbox within their timeout plus one second; each attack also checks the cap itself."""

from __future__ import annotations

import threading

import pytest
from helpers.sandbox_checks import check_innocents_in_time

from mammoth_math.sandbox import Sandbox, _process, pool
from mammoth_math.sandbox.limits import TMP_ENTRIES, HostLimits, host_limits

# Each flood counts what it made until refused or out of time, and prints the count last.
_LOOP = ("import os, time\nmade = 0\nend = time.monotonic() + 1.5\ntry:\n    while time.monotonic() < end:\n"
         "        {step}\n        made += 1\nexcept OSError:\n    pass\nprint(made)\n")
FLOODS = {
    "hard links": "open('a', 'w').close()\n" + _LOOP.format(step="os.link('a', f'l{made}')"),
    "empty files": _LOOP.format(step="os.close(os.open(f'f{made}', os.O_CREAT | os.O_WRONLY))"),
    "directories": _LOOP.format(step="os.mkdir(f'd{made}')"),
    "symlinks": _LOOP.format(step="os.symlink('/usr', f's{made}')"),
    "fifos": _LOOP.format(step="os.mkfifo(f'p{made}')"),
    "a deep tree": _LOOP.format(step="os.mkdir('d'); os.chdir('d')"),
    "a wide tree": _LOOP.format(step="os.makedirs(f'{made % 64}/{made}')"),
    "links in many dirs": "open('a', 'w').close()\n" + _LOOP.format(
        step="os.makedirs(str(made % 97), exist_ok=True); os.link('a', f'{made % 97}/{made}')"),
    "links to a symlink": "os.symlink('/usr', 's')\n" + _LOOP.format(
        step="os.link('s', f'l{made}', follow_symlinks=False)"),
}


@pytest.fixture(scope="module")
def sb():
    limits = host_limits()
    if not limits.entries:
        pytest.skip(f"/tmp cannot be capped in entries here: {limits.entries_detail}")
    with Sandbox(timeout=2.0, memory_mb=256, workers=1) as sandbox:
        check_innocents_in_time(sandbox)
        yield sandbox


@pytest.mark.parametrize("name", [*FLOODS, "hard links (heavy)", "directories (heavy)", "a deep tree (heavy)"])
def test_a_flood_of_entries_is_capped_and_costs_the_next_program_nothing(sb, name):
    """The heavy worker (a program naming numpy) shares /tmp with the light one and is flooded the same way."""
    heavy = name.endswith(" (heavy)")
    code = ("import numpy\n" if heavy else "") + "import os\n" + FLOODS[name.removesuffix(" (heavy)")]
    result = sb.run(code, timeout=3.0)
    assert result.answer is not None and result.answer.isdigit(), result
    assert int(result.answer) <= TMP_ENTRIES, f"{name}: {result.answer} entries made"
    check_innocents_in_time(sb)


def test_a_flood_that_times_out_leaves_nothing(sb):
    """Killed at its deadline mid-flood (no report at all): the wipe still runs before the next program."""
    code = "import os\nopen('a', 'w').close()\ni = 0\nwhile True:\n    try:\n        os.link('a', f'l{i}')\n" \
           "    except OSError:\n        pass\n    i += 1\n"
    assert sb.run(code, timeout=1.0).timed_out
    check_innocents_in_time(sb)


def test_bytes_stay_capped_too(sb):
    code = "import os\nmade = 0\ntry:\n    while True:\n        open(f'b{made}', 'wb').write(b'x' * (1 << 20))\n" \
           "        made += 1\nexcept OSError:\n    pass\nprint(made)"
    result = sb.run(code, timeout=5.0)
    assert result.answer is not None and int(result.answer) <= sb.tmp_mb, result
    check_innocents_in_time(sb)


def test_a_wipe_past_its_bound_retires_the_worker_and_the_next_program_runs_on_a_fresh_one(monkeypatch):
    with Sandbox(timeout=2.0, memory_mb=256, workers=1) as sandbox:
        assert sandbox.run("import os\nfor i in range(100):\n    os.mkdir(f'd{i}')\nprint(1)").answer == "1"
        old = sandbox._all[0].proc.pid
        monkeypatch.setattr(_process, "WIPE_BOUND_S", 0.0)  # every cleanup is now "too slow"
        after = sandbox.run("import os\nprint(os.listdir('/tmp'))")
        monkeypatch.undo()
        assert sandbox._all[0].proc.pid != old, "the worker was not replaced"
        assert after.answer == "[]", after


def test_a_worker_that_stops_reading_cannot_hold_the_writer():
    """Every write to a worker has a deadline: a request larger than the pipe holds, to a process that
    never reads, fails by its deadline instead of blocking the host's thread for ever."""
    worker = _process.Worker(["sleep", "600"], {"config": True}, None)
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            worker.call({"code": "x" * (4 << 20), "timeout": 1.0}, 1.0, 1 << 20)
            outcome.append(None)
        except BaseException as e:  # noqa: BLE001 - recorded for the assertion
            outcome.append(e)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(60)
    worker.kill()
    assert not thread.is_alive(), "the write to a worker that never reads did not end"
    assert isinstance(outcome[0], _process.NotReady), outcome


def test_where_entries_cannot_be_capped_programs_still_get_an_empty_byte_capped_tmp(monkeypatch, caplog):
    """A host that may not mount (not root): bubblewrap's own tmpfs, and a warning that says so."""
    monkeypatch.setattr(pool, "host_limits", lambda: HostLimits(False, "not capped: (test)", None, "RLIMIT_NPROC"))
    with Sandbox(timeout=5.0, memory_mb=256, workers=1) as sandbox:
        wrote = sandbox.run("import os\nopen('a', 'w').close()\nfor i in range(100):\n    os.link('a', f'l{i}')\n"
                            "print(len(os.listdir('.')))")
        assert wrote.answer == "101", wrote
        check_innocents_in_time(sandbox)
    assert "/tmp entries not capped: (test)" in caplog.text
