"""Issue 23, class 2: no writable mapping is ever shared by two untrusted processes. Session workers made an
output capture that every session process inherited and nothing cleared: a session wrote a secret there
and a later one read it back. Each attack writes a secret into every shared mapping it has (found in
/proc/self/maps, written with ctypes), then another program or session searches every shared mapping it
has; innocent programs and sessions follow and must answer as in a clean sandbox in time."""

from __future__ import annotations

import pytest
from helpers.sandbox_checks import check_clean, one_worker

_SHARED = ("import ctypes\nshared = []\nfor line in open('/proc/self/maps'):\n    f = line.split()\n"
           "    if f[1][3] == 's' and f[1][0] == 'r':\n"
           "        lo, hi = (int(x, 16) for x in f[0].split('-'))\n        shared.append((lo, hi, f[1]))\n")
SECRET = "'PLANTED-' + 'SECRET-4711'"  # built at run time: the program's own text never holds it whole
PLANT = (_SHARED + f"secret = ({SECRET}).encode()\nfor lo, hi, perms in shared:\n    if perms[1] == 'w':\n"
         "        for at in range(lo, hi - len(secret), 512):\n            ctypes.memmove(at, secret, len(secret))\n"
         "print(len(shared))")
SEARCH = _SHARED + f"print(sum(ctypes.string_at(lo, hi - lo).count(({SECRET}).encode()) for lo, hi, _ in shared))"
WRITABLE = _SHARED + "print(sum(perms[1] == 'w' for _, _, perms in shared))"


@pytest.fixture(scope="module")
def sb(report):
    if report.mode != "bubblewrap":
        pytest.skip(f"these attacks need bubblewrap: {report.reason}")
    with one_worker(2.0) as sandbox:
        yield sandbox


@pytest.mark.parametrize("heavy", ["", "import numpy\n"], ids=["light", "heavy"])
def test_a_program_shares_no_writable_mapping_but_its_own_capture(sb, heavy):
    """Its capture is shared with its worker only (zeroed before the next child is forked)."""
    assert sb.run(heavy + WRITABLE).answer == "1"


def test_a_session_shares_no_writable_mapping_but_its_own_capture(sb):
    with sb.session() as session:
        assert session.run(WRITABLE).answer == "1"
    check_clean(sb)


def test_a_session_finds_nothing_a_closed_session_planted(sb):
    with sb.session() as first:
        assert first.run(PLANT).error is None
    with sb.session() as second, sb.session() as third:  # both slots of the one worker, the closed one's too
        assert [s.run(SEARCH).answer for s in (second, third)] == ["0", "0"]
    check_clean(sb)


def test_a_session_finds_nothing_a_live_session_planted(sb):
    with sb.session() as first, sb.session() as second:
        assert first.run(PLANT).error is None
        assert second.run(SEARCH).answer == "0"
        assert first.run("print('still mine')").answer == "still mine"
    check_clean(sb)


def test_a_session_finds_nothing_its_planting_neighbour_puts_in_a_private_shared_mapping(sb):
    """A mapping a session makes itself (MAP_SHARED, anonymous) has no other process to reach."""
    plant = f"import mmap\nm = mmap.mmap(-1, 1 << 16)\nm[:30] = ({SECRET}).encode().ljust(30)\nprint('held')"
    with sb.session() as first, sb.session() as second:
        assert first.run(plant).answer == "held"
        assert second.run(SEARCH).answer == "0"
    check_clean(sb)


@pytest.mark.parametrize("heavy", ["", "import numpy\n"], ids=["light", "heavy"])
def test_a_program_finds_nothing_an_earlier_program_planted(sb, heavy):
    assert sb.run(heavy + PLANT).error is None
    assert [sb.run(h + SEARCH).answer for h in ("", "import numpy\n")] == ["0", "0"]
    check_clean(sb)


def test_a_program_finds_nothing_a_session_planted(sb):
    with sb.session() as session:
        assert session.run(PLANT).error is None
        assert [sb.run(h + SEARCH).answer for h in ("", "import numpy\n")] == ["0", "0"]
    check_clean(sb)


def test_a_sessions_printed_output_is_gone_from_its_slot_for_the_next_session(sb):
    """The slot's capture held the closed session's output; the next session on it reads the whole mapping."""
    with sb.session() as first, sb.session() as second:
        assert first.run(f"print(({SECRET}) * 100)").stdout.startswith("PLANTED-")
        assert second.run("print('other slot')").answer == "other slot"
    with sb.session() as third, sb.session() as fourth:  # the same two slots
        assert [s.run(SEARCH).answer for s in (third, fourth)] == ["0", "0"]
    check_clean(sb)


@pytest.mark.parametrize("code", [
    "open('/dev/shm/planted', 'w').write('x')",
    "import _posixshmem\n_posixshmem.shm_open('/planted', 0o102, 0o600)",
    "import os\nos.memfd_create('planted')",
    "import mmap, os\nfd = os.open('/tmp/shared', os.O_RDWR | os.O_CREAT)\nos.ftruncate(fd, 4096)\n"
    "m = mmap.mmap(fd, 4096)\nm[:8] = b'planted!'\nprint('mapped')",
])
def test_no_mapping_a_session_makes_is_reachable_by_another(sb, code):
    """Every way to name shared memory is refused to a session (no /dev/shm, memfd, or file it may write)."""
    with sb.session() as first, sb.session() as second:
        assert first.run(code).error is not None
        assert second.run("import os\nprint(os.listdir('/tmp'), os.listdir('/dev/shm'))").answer == "[] []"
    check_clean(sb)
