"""Seccomp-BPF allow-lists: what a Python program computing an answer needs; every other call is refused.

Two filters stack (the kernel applies the strictest answer). The worker loads the "worker" filter as
soon as it has its config, before it loads anything or starts any process, so no process in the sandbox
runs unfiltered; it may fork, wait for and signal its children. Each forked child then adds the
"program" filter before its program arrives: threads but
no processes, signals and resource calls only about itself (argument 0 is its own pid, patched in when
it loads), a few ``ioctl``/``fcntl``/``prctl`` commands, no sockets, no IPC (SysV, POSIX queues,
memfd), no exec, no namespaces, no ptrace. A session's process (``_sessions``) adds the "session"
filter instead: the program's, and no file is created, written, renamed, removed or changed (``open``
only without write, create or truncate flags), so concurrent sessions of one worker share no writable
state. A refused call fails with EPERM (``clone3`` with ENOSYS,
so glibc falls back to ``clone``, where the flags can be checked); nothing is killed.
Standard library only (it runs inside the sandbox); x86_64 and aarch64.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
from typing import Literal

Role = Literal["worker", "program", "session"]

# Syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
# (aarch64 lacks the legacy calls; a name missing from a table is simply not allowed there).
_X86_64 = {
    "read": 0, "write": 1, "readv": 19, "writev": 20, "pread64": 17, "pwrite64": 18, "preadv": 295,
    "pwritev": 296, "preadv2": 327, "pwritev2": 328, "open": 2, "openat": 257, "openat2": 437, "creat": 85,
    "close": 3, "close_range": 436, "lseek": 8, "stat": 4, "fstat": 5, "lstat": 6, "newfstatat": 262,
    "statx": 332, "statfs": 137, "fstatfs": 138, "access": 21, "faccessat": 269, "faccessat2": 439,
    "readlink": 89, "readlinkat": 267, "getdents": 78, "getdents64": 217, "getcwd": 79, "chdir": 80,
    "fchdir": 81, "mkdir": 83, "mkdirat": 258, "rmdir": 84, "unlink": 87, "unlinkat": 263, "rename": 82,
    "renameat": 264, "renameat2": 316, "link": 86, "linkat": 265, "symlink": 88, "symlinkat": 266, "chmod": 90,
    "fchmod": 91, "fchmodat": 268, "truncate": 76, "ftruncate": 77, "fsync": 74, "fdatasync": 75,
    "fallocate": 285, "fadvise64": 221, "utimensat": 280, "umask": 95, "flock": 73, "dup": 32, "dup2": 33,
    "dup3": 292, "pipe": 22, "pipe2": 293, "fcntl": 72, "ioctl": 16, "sendfile": 40, "copy_file_range": 326,
    "mmap": 9, "munmap": 11, "mprotect": 10, "mremap": 25, "madvise": 28, "brk": 12, "msync": 26, "mincore": 27,
    "mbind": 237, "get_mempolicy": 239, "membarrier": 324, "clone": 56, "clone3": 435, "futex": 202,
    "futex_waitv": 449, "set_robust_list": 273, "set_tid_address": 218, "rseq": 334, "exit": 60,
    "exit_group": 231, "sched_yield": 24, "gettid": 186, "getpid": 39, "getppid": 110, "getuid": 102,
    "geteuid": 107, "getgid": 104, "getegid": 108, "getgroups": 115, "getresuid": 118, "getresgid": 120,
    "getpgrp": 111, "getpgid": 121, "getsid": 124, "uname": 63, "sysinfo": 99, "getcpu": 309,
    "clock_gettime": 228, "clock_getres": 229, "clock_nanosleep": 230, "nanosleep": 35, "gettimeofday": 96,
    "time": 201, "times": 100, "getitimer": 36, "setitimer": 38, "alarm": 37, "timer_create": 222,
    "timer_settime": 223, "timer_gettime": 224, "timer_getoverrun": 225, "timer_delete": 226, "rt_sigaction": 13,
    "rt_sigprocmask": 14, "rt_sigreturn": 15, "sigaltstack": 131, "rt_sigpending": 127, "rt_sigtimedwait": 128,
    "rt_sigsuspend": 130, "pause": 34, "kill": 62, "tgkill": 234, "tkill": 200, "rt_sigqueueinfo": 129,
    "rt_tgsigqueueinfo": 297, "prlimit64": 302, "getrlimit": 97, "setrlimit": 160, "getrusage": 98,
    "sched_getaffinity": 204, "poll": 7, "ppoll": 271, "select": 23, "pselect6": 270, "epoll_create": 213,
    "epoll_create1": 291, "epoll_ctl": 233, "epoll_wait": 232, "epoll_pwait": 281, "epoll_pwait2": 441,
    "eventfd": 284, "eventfd2": 290, "getrandom": 318, "arch_prctl": 158, "prctl": 157, "wait4": 61,
    "waitid": 247, "setpgid": 109, "pidfd_open": 434, "setuid": 105, "setgid": 106, "setgroups": 116,
    "fchownat": 260, "fchown": 93, "chown": 92, "lchown": 94, "socketpair": 53, "sendmsg": 46, "recvmsg": 47
}
_AARCH64 = {
    "read": 63, "write": 64, "readv": 65, "writev": 66, "pread64": 67, "pwrite64": 68, "preadv": 69,
    "pwritev": 70, "preadv2": 286, "pwritev2": 287, "openat": 56, "openat2": 437, "close": 57,
    "close_range": 436, "lseek": 62, "fstat": 80, "newfstatat": 79, "statx": 291, "statfs": 43, "fstatfs": 44,
    "faccessat": 48, "faccessat2": 439, "readlinkat": 78, "getdents64": 61, "getcwd": 17, "chdir": 49,
    "fchdir": 50, "mkdirat": 34, "unlinkat": 35, "renameat": 38, "renameat2": 276, "linkat": 37, "symlinkat": 36,
    "fchmod": 52, "fchmodat": 53, "truncate": 45, "ftruncate": 46, "fsync": 82, "fdatasync": 83, "fallocate": 47,
    "fadvise64": 223, "utimensat": 88, "umask": 166, "flock": 32, "dup": 23, "dup3": 24, "pipe2": 59,
    "fcntl": 25, "ioctl": 29, "sendfile": 71, "copy_file_range": 285, "mmap": 222, "munmap": 215,
    "mprotect": 226, "mremap": 216, "madvise": 233, "brk": 214, "msync": 227, "mincore": 232, "mbind": 235,
    "get_mempolicy": 236, "membarrier": 283, "clone": 220, "clone3": 435, "futex": 98, "futex_waitv": 449,
    "set_robust_list": 99, "set_tid_address": 96, "rseq": 293, "exit": 93, "exit_group": 94, "sched_yield": 124,
    "gettid": 178, "getpid": 172, "getppid": 173, "getuid": 174, "geteuid": 175, "getgid": 176, "getegid": 177,
    "getgroups": 158, "getresuid": 148, "getresgid": 150, "getpgid": 155, "getsid": 156, "uname": 160,
    "sysinfo": 179, "getcpu": 168, "clock_gettime": 113, "clock_getres": 114, "clock_nanosleep": 115,
    "nanosleep": 101, "gettimeofday": 169, "times": 153, "getitimer": 102, "setitimer": 103, "timer_create": 107,
    "timer_settime": 110, "timer_gettime": 108, "timer_getoverrun": 109, "timer_delete": 111,
    "rt_sigaction": 134, "rt_sigprocmask": 135, "rt_sigreturn": 139, "sigaltstack": 132, "rt_sigpending": 136,
    "rt_sigtimedwait": 137, "rt_sigsuspend": 133, "kill": 129, "tgkill": 131, "tkill": 130,
    "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240, "prlimit64": 261, "getrlimit": 163, "setrlimit": 164,
    "getrusage": 165, "sched_getaffinity": 123, "ppoll": 73, "pselect6": 72, "epoll_create1": 20,
    "epoll_ctl": 21, "epoll_pwait": 22, "epoll_pwait2": 441, "eventfd2": 19, "getrandom": 278, "prctl": 167,
    "wait4": 260, "waitid": 95, "setpgid": 154, "pidfd_open": 434, "setuid": 146, "setgid": 144,
    "setgroups": 159, "fchownat": 54, "fchown": 55, "socketpair": 199, "sendmsg": 211, "recvmsg": 212
}
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}  # AUDIT_ARCH_*

# Any process in the sandbox, any arguments: files (the read-only root and the capped /tmp), memory,
# threads and futexes, clocks and timers, own signal handling, polling, ids, randomness.
_ANYONE = (
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2", "open",
    "openat", "openat2", "creat", "close", "close_range", "lseek", "stat", "fstat", "lstat", "newfstatat", "statx",
    "statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64",
    "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
    "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "truncate", "ftruncate",
    "fsync", "fdatasync", "fallocate", "fadvise64", "utimensat", "umask", "flock", "dup", "dup2", "dup3", "pipe",
    "pipe2", "sendfile", "copy_file_range", "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "msync",
    "mincore", "mbind", "get_mempolicy", "membarrier", "futex", "futex_waitv", "set_robust_list",
    "set_tid_address", "rseq", "exit", "exit_group", "sched_yield", "gettid", "getpid", "getppid", "getuid",
    "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid", "getpgrp", "getpgid", "getsid", "uname",
    "sysinfo", "getcpu", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
    "times", "getitimer", "setitimer", "alarm", "timer_create", "timer_settime", "timer_gettime",
    "timer_getoverrun", "timer_delete", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
    "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend", "pause", "getrlimit", "setrlimit", "getrusage", "poll",
    "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
    "epoll_pwait2", "eventfd", "eventfd2", "getrandom", "arch_prctl",
)
# Allowed with one argument among a few values: (argument index, values).
# ioctl: TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIONCLEX, FIOCLEX (isatty and friends; no TIOCSTI).
# fcntl: F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_GETOWN,
#   F_OFD_GETLK/SETLK/SETLKW, F_DUPFD_CLOEXEC, F_GETPIPE_SZ (no F_SETOWN/F_SETSIG: SIGIO to another process).
# prctl: PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_NAME, PR_GET_NAME, PR_GET_SECCOMP, PR_SET_SECCOMP (a
#   stricter filter), PR_GET_TIMERSLACK, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_SET_VMA (names a mapping).
_VALUES = {
    "ioctl": (1, (0x5401, 0x5413, 0x541B, 0x5421, 0x5450, 0x5451)),
    "fcntl": (1, (0, 1, 2, 3, 4, 5, 6, 7, 9, 36, 37, 38, 1030, 1032)),
}
_PROGRAM_PRCTL = (2, 3, 15, 16, 21, 22, 30, 38, 39, 0x53564D41)
# Only about the caller: argument 0 is its own pid ("own"), or its own pid or 0 ("own_or_0").
_OWN = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
_OWN_OR_0 = ("prlimit64", "sched_getaffinity")
# The worker also forks, waits for, groups and kills its children, passes a child's pipes from its fork
# server to its relay (a Unix socket pair, SCM_RIGHTS: ``_forkserver``) and (without bubblewrap, as root)
# drops to nobody; it allows the calls above with any arguments, so that the program's filter decides.
# What a session may not do to files (``open``/``openat`` are checked for their flags instead; ``openat2``
# hides them in memory and is refused).
_FILE_WRITES = ("creat", "openat2", "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat",
                "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "truncate",
                "ftruncate", "fallocate", "utimensat")
_OPEN_FLAGS = {"open": 1, "openat": 2}  # the flags' argument index
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000  # O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND
_WORKER = ("wait4", "waitid", "setpgid", "pidfd_open", "prctl", "setuid", "setgid", "setgroups", "fchownat",
           "fchown", "chown", "socketpair", "sendmsg", "recvmsg", *_OWN, *_OWN_OR_0)

_CLONE_THREAD = 0x00010000
_CLONE_NAMESPACES = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_X32_BIT = 0x40000000
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|*|K, BPF_RET|K
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
_NR, _ARCH_OFFSET = 0, 4  # struct seccomp_data
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2

_LIBC = ctypes.CDLL(None, use_errno=True)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _arg(index: int) -> bytes:
    """Load the low word of argument ``index`` (u64, little-endian); every value checked here is an int or
    unsigned int in the kernel, which ignores the high word."""
    return _op(_LD_ABS, 16 + 8 * index)


def build(role: Role) -> tuple[bytes, list[int]]:
    """The BPF program for ``role``, and the byte offsets of the caller's own pid (0 until ``Loader.load``)."""
    audit, nr = _ARCHES[platform.machine()]
    prog: list[bytes] = [_op(_LD_ABS, _ARCH_OFFSET), _op(_JEQ, audit, 1, 0), _op(_RET, _EPERM), _op(_LD_ABS, _NR)]
    if audit == _ARCHES["x86_64"][0]:
        prog += [_op(_JGE, _X32_BIT, 0, 1), _op(_RET, _EPERM)]  # the x32 ABI would bypass the numbers below
    allowed = _ANYONE + (_WORKER if role == "worker" else ())
    if role == "session":
        for name in _OPEN_FLAGS:
            if name in nr:  # aarch64 has no open
                prog += [_op(_JEQ, nr[name], 0, 4), _arg(_OPEN_FLAGS[name]), _op(_JSET, _WRITE_FLAGS, 0, 1),
                         _op(_RET, _EPERM), _op(_RET, _ALLOW)]
        allowed = tuple(name for name in allowed if name not in _FILE_WRITES and name not in _OPEN_FLAGS)
    for name in allowed:
        if name in nr:
            prog += [_op(_JEQ, nr[name], 0, 1), _op(_RET, _ALLOW)]
    pid_at: list[int] = []
    values = dict(_VALUES)
    if role != "worker":
        values["prctl"] = (0, _PROGRAM_PRCTL)
        for name in _OWN + _OWN_OR_0:
            own = (0,) if name in _OWN else (0, 0)
            prog += _one_of(nr[name], 0, own)
            pid_at.append(8 * (len(prog) - len(own) - 2) + 4)  # the k of the first comparison
    for name, (index, accepted) in values.items():
        prog += _one_of(nr[name], index, accepted)
    # clone: the flags are argument 0 on both architectures (clone3 hides them in memory: ENOSYS, so
    # glibc falls back to clone). A program may start threads; no one may create namespaces.
    checks = [_op(_JSET, _CLONE_NAMESPACES, 1, 0)]
    if role != "worker":
        checks.insert(0, _op(_JSET, _CLONE_THREAD, 0, 2))
    prog += [_op(_JEQ, nr["clone"], 0, len(checks) + 3), _arg(0), *checks, _op(_RET, _ALLOW), _op(_RET, _EPERM)]
    prog += [_op(_JEQ, nr["clone3"], 0, 1), _op(_RET, _ENOSYS), _op(_RET, _EPERM)]
    return b"".join(prog), pid_at


def _one_of(number: int, index: int, accepted: tuple[int, ...]) -> list[bytes]:
    """Allow syscall ``number`` when argument ``index`` is one of ``accepted``, else EPERM."""
    n = len(accepted)
    checks = [_op(_JEQ, value, n - i, 0) for i, value in enumerate(accepted)]
    return [_op(_JEQ, number, 0, n + 3), _arg(index), *checks, _op(_RET, _EPERM), _op(_RET, _ALLOW)]


class Loader:
    """A filter made ready to load: built in the worker, so that a forked child only patches and loads it.

    Running Python in a freshly forked child is costly (every page it writes is copied), so the child's
    share is a few small writes and two ``prctl`` calls on objects that already exist.
    """

    def __init__(self, role: Role) -> None:
        if platform.machine() not in _ARCHES or platform.system() != "Linux":
            raise OSError(f"seccomp filters exist here for Linux on {', '.join(_ARCHES)} only, not "
                          f"{platform.system()} on {platform.machine()} (Sandbox(seccomp=False) runs without)")
        program, self._pid_at = build(role)
        self._buf = ctypes.create_string_buffer(program, len(program))
        self._fprog = _Fprog(len(program) // 8, ctypes.addressof(self._buf))
        self._prctl = _LIBC.prctl  # looked up here: a lookup in the child would build a new function object
        self._args = (ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(_SECCOMP_MODE_FILTER),
                      ctypes.byref(self._fprog))

    def load(self, pid: int) -> None:
        """Load the filter into the calling thread (while it is the only one); ``pid`` is the caller's."""
        for at in self._pid_at:
            struct.pack_into("<I", self._buf, at, pid)
        one, zero, mode, fprog = self._args
        if self._prctl(_PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if self._prctl(_PR_SET_SECCOMP, mode, fprog, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
