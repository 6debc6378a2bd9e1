"""A seccomp-BPF filter for one program's process: it may start threads, but no processes.

Why seccomp: RLIMIT_NPROC is not enforced for uid 0, and inside bubblewrap's user namespace the
program is still uid 0 to the kernel when the host runs as root, so only a syscall filter stops a fork
bomb everywhere. The filter also refuses sockets, signals to other processes, ptrace and namespace
calls. Blocked calls fail with EPERM (clone3 with ENOSYS, so glibc falls back to clone for threads).
Standard library only (runs inside the sandbox); x86_64 and aarch64.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import platform
import struct

# Syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h.
_X86_64 = {"clone": 56, "fork": 57, "vfork": 58, "clone3": 435, "kill": 62, "tkill": 200, "tgkill": 234,
           "socket": 41, "socketpair": 53, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
           "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "unshare": 272, "setns": 308,
           "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "bpf": 321, "perf_event_open": 298,
           "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249, "io_uring_setup": 425}
_AARCH64 = {"clone": 220, "clone3": 435, "kill": 129, "tkill": 130, "tgkill": 131, "socket": 198,
            "socketpair": 199, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
            "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "unshare": 97, "setns": 268,
            "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "bpf": 280, "perf_event_open": 241,
            "userfaultfd": 282, "keyctl": 219, "add_key": 217, "request_key": 218, "io_uring_setup": 425}
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}  # AUDIT_ARCH_*
_DENY = ("fork", "vfork", "tkill", "socket", "socketpair", "ptrace", "process_vm_readv", "process_vm_writev",
         "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "unshare", "setns", "mount", "umount2", "pivot_root",
         "chroot", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup")

_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|*|K, BPF_RET|K
_ALLOW, _KILL, _ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_NR, _ARCH_OFFSET, _ARG0 = 0, 4, 16  # struct seccomp_data; args are u64, little-endian: low word first
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


_LIBC = ctypes.CDLL(None, use_errno=True)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    return platform.machine() in _ARCHES and platform.system() == "Linux"


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def build_filter(pid: int) -> bytes:
    """The BPF program for the process ``pid`` (it may still signal itself)."""
    return _common() + _own_signals(pid)


def _own_signals(pid: int) -> bytes:
    """kill(pid, sig) and tgkill(tgid, tid, sig): only towards this process; everything else allowed."""
    nr = _ARCHES[platform.machine()][1]
    eperm = _ERRNO | errno.EPERM
    prog = []
    for name in ("kill", "tgkill"):
        prog += [_op(_JEQ, nr[name], 0, 4), _op(_LD_ABS, _ARG0), _op(_JEQ, pid, 1, 0),
                 _op(_RET, eperm), _op(_RET, _ALLOW)]
    prog.append(_op(_RET, _ALLOW))
    return b"".join(prog)


@functools.cache
def _common() -> bytes:
    """The part that is the same for every process (built once in the worker, before forking)."""
    audit, nr = _ARCHES[platform.machine()]
    eperm = _ERRNO | errno.EPERM
    prog = [_op(_LD_ABS, _ARCH_OFFSET), _op(_JEQ, audit, 1, 0), _op(_RET, _KILL), _op(_LD_ABS, _NR)]
    if audit == _ARCHES["x86_64"][0]:
        prog += [_op(_JGE, _X32_BIT, 0, 1), _op(_RET, eperm)]  # the x32 ABI would bypass the numbers below
    for name in _DENY:
        if name in nr:
            prog += [_op(_JEQ, nr[name], 0, 1), _op(_RET, eperm)]
    prog += [_op(_JEQ, nr["clone3"], 0, 1), _op(_RET, _ERRNO | errno.ENOSYS)]
    # clone: threads (CLONE_THREAD in the flags, argument 0) are allowed, processes are not.
    prog += [_op(_JEQ, nr["clone"], 0, 4), _op(_LD_ABS, _ARG0), _op(_JSET, _CLONE_THREAD, 0, 1),
             _op(_RET, _ALLOW), _op(_RET, eperm)]
    return b"".join(prog)


class Loader:
    """A filter made ready to load: built in the worker, so that a forked child only patches and loads it.

    Running Python in a freshly forked child is costly (every page it writes is copied), so the child's
    share is two small writes and two ``prctl`` calls on objects that already exist.
    """

    def __init__(self) -> None:
        program = build_filter(0)
        self._buf = ctypes.create_string_buffer(program, len(program))
        self._fprog = _Fprog(len(program) // 8, ctypes.addressof(self._buf))
        # where _own_signals put the pid: the k field (offset 4) of the third op of each of its two blocks
        base = len(_common())
        self._pid_at = (base + 2 * 8 + 4, base + 7 * 8 + 4)
        self._prctl = _LIBC.prctl  # looked up here: a lookup in the child would build a new function object
        self._args = (ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(_SECCOMP_MODE_FILTER),
                      ctypes.byref(self._fprog))

    def load(self, pid: int) -> None:
        """Load the filter into the calling thread (while it is the only one), allowing signals to ``pid``."""
        for at in self._pid_at:
            struct.pack_into("<I", self._buf, at, pid)
        one, zero, mode, fprog = self._args
        if self._prctl(_PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if self._prctl(_PR_SET_SECCOMP, mode, fprog, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
