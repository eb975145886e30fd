"""A tiny seccomp filter, written as classic BPF by hand (no libseccomp dependency).

It stops what mount namespaces cannot: connecting to host unix sockets that sit in readable
places ($HOME, /var), which would reach the D-Bus session bus (and so the keyring), docker
or an ssh agent; terminal injection; and io_uring, which would bypass the socket rule.
``socketpair`` stays allowed, so pipes between sandboxed processes keep working.
"""

from __future__ import annotations

import errno
import os
import struct

# (audit arch, nr socket, nr ioctl, nr io_uring_setup, nr io_uring_enter, nr io_uring_register)
_ARCHES = {
    "x86_64": (0xC000003E, 41, 16, 425, 426, 427),
    "aarch64": (0xC00000B7, 198, 29, 425, 426, 427),
}
AF_UNIX = 1
TIOCSTI, TIOCLINUX = 0x5412, 0x541C

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_ALLOW = 0x7FFF0000
_KILL = 0x80000000  # SECCOMP_RET_KILL_PROCESS


def _errno(code: int) -> int:
    return 0x00050000 | code  # SECCOMP_RET_ERRNO


def _ins(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def supported() -> bool:
    return os.uname().machine in _ARCHES


def build_filter() -> bytes:
    arch, nr_socket, nr_ioctl, nr_uring_setup, nr_uring_enter, nr_uring_register = _ARCHES[os.uname().machine]
    prog = [
        _ins(_LD_W_ABS, 0, 0, 4),                # A = seccomp_data.arch
        _ins(_JEQ_K, 1, 0, arch),                # foreign ABIs (e.g. i386 socketcall) ...
        _ins(_RET_K, 0, 0, _KILL),               # ... would dodge every rule below
        _ins(_LD_W_ABS, 0, 0, 0),                # A = syscall number
        _ins(_JGE_K, 0, 1, 0x40000000),          # x32 syscalls on x86_64: same dodge
        _ins(_RET_K, 0, 0, _errno(errno.ENOSYS)),
        _ins(_JEQ_K, 0, 2, nr_socket),
        _ins(_LD_W_ABS, 0, 0, 16),               # A = args[0] (domain), low 32 bits
        _ins(_JEQ_K, 6, 7, AF_UNIX),             # -> deny / allow
        _ins(_JEQ_K, 0, 3, nr_ioctl),
        _ins(_LD_W_ABS, 0, 0, 24),               # A = args[1] (request), low 32 bits
        _ins(_JEQ_K, 3, 0, TIOCSTI),             # typing into the host terminal
        _ins(_JEQ_K, 2, 3, TIOCLINUX),
        _ins(_JEQ_K, 1, 0, nr_uring_setup),
        _ins(_JGE_K, 0, 1, nr_uring_enter) if nr_uring_register == nr_uring_enter + 1 else _ins(_JEQ_K, 0, 1, nr_uring_enter),
        _ins(_RET_K, 0, 0, _errno(errno.EPERM)),
        _ins(_RET_K, 0, 0, _ALLOW),
    ]
    return b"".join(prog)
