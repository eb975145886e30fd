"""A tiny seccomp filter, written as classic BPF by hand (no libseccomp dependency).

It stops what mount namespaces cannot:
- new unix sockets: a host socket in a readable place ($HOME, /var) would reach the D-Bus
  session bus (and so the keyring), docker or an ssh agent; ``socketpair`` stays allowed for
  stream and seqpacket pairs, which cannot address anyone else;
- datagram socketpairs: ``sendto`` with a path on one would reach a host datagram socket;
- terminal injection (TIOCSTI, TIOCLINUX);
- io_uring, which performs socket and connect operations without these syscalls;
- the kernel keyring (add_key, request_key, keyctl): the session keyring is inherited across
  exec and may hold Kerberos tickets or other secrets of the user.
"""

from __future__ import annotations

import errno
import os
import struct

# audit arch and syscall numbers per CPU
_ARCHES = {
    "x86_64": dict(arch=0xC000003E, socket=41, socketpair=53, ioctl=16, uring=(425, 426, 427),
                   keys=(248, 249, 250)),
    "aarch64": dict(arch=0xC00000B7, socket=198, socketpair=199, ioctl=29, uring=(425, 426, 427),
                    keys=(217, 218, 219)),
}
AF_UNIX = 1
SOCK_DGRAM = 2
TIOCSTI, TIOCLINUX = 0x5412, 0x541C

_LD_W_ABS = 0x20
_ALU_AND_K = 0x54
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_ALLOW = 0x7FFF0000
_KILL = 0x80000000  # SECCOMP_RET_KILL_PROCESS


def _errno(code: int) -> int:
    return 0x00050000 | code  # SECCOMP_RET_ERRNO


def supported() -> bool:
    return os.uname().machine in _ARCHES


class _Program:
    """Classic BPF with symbolic jump targets, resolved when the program is assembled."""

    def __init__(self) -> None:
        self.ops: list[tuple] = []

    def load(self, offset: int) -> None:
        self.ops.append(("ins", _LD_W_ABS, offset))

    def and_(self, mask: int) -> None:
        self.ops.append(("ins", _ALU_AND_K, mask))

    def jump_if(self, cond: int, value: int, target: str) -> None:
        """If A <cond> value, go to ``target``; else fall through."""
        self.ops.append(("jump", cond, value, target))

    def ret(self, value: int) -> None:
        self.ops.append(("ins", _RET_K, value))

    def label(self, name: str) -> None:
        self.ops.append(("label", name))

    def assemble(self) -> bytes:
        positions, index = {}, 0
        for op in self.ops:
            if op[0] == "label":
                positions[op[1]] = index
            else:
                index += 1
        out, index = [], 0
        for op in self.ops:
            if op[0] == "label":
                continue
            if op[0] == "ins":
                out.append(struct.pack("HBBI", op[1], 0, 0, op[2]))
            else:
                offset = positions[op[3]] - index - 1
                if not 0 <= offset < 256:
                    raise ValueError("seccomp jump out of range")
                out.append(struct.pack("HBBI", op[1], offset, 0, op[2]))
            index += 1
        return b"".join(out)


def build_filter() -> bytes:
    nr = _ARCHES[os.uname().machine]
    p = _Program()
    p.load(4)                                   # seccomp_data.arch
    p.jump_if(_JEQ_K, nr["arch"], "native")
    p.ret(_KILL)                                # foreign ABIs (i386 socketcall) would dodge every rule
    p.label("native")
    p.load(0)                                   # syscall number
    p.jump_if(_JGE_K, 0x40000000, "enosys")     # x32 syscalls on x86_64: the same dodge
    p.jump_if(_JEQ_K, nr["socket"], "socket")
    p.jump_if(_JEQ_K, nr["socketpair"], "socketpair")
    p.jump_if(_JEQ_K, nr["ioctl"], "ioctl")
    for number in (*nr["uring"], *nr["keys"]):
        p.jump_if(_JEQ_K, number, "eperm")
    p.ret(_ALLOW)
    p.label("socket")
    p.load(16)                                  # args[0]: domain
    p.jump_if(_JEQ_K, AF_UNIX, "eperm")
    p.ret(_ALLOW)
    p.label("socketpair")
    p.load(16)
    p.jump_if(_JEQ_K, AF_UNIX, "pair_unix")
    p.ret(_ALLOW)
    p.label("pair_unix")
    p.load(24)                                  # args[1]: type, without SOCK_NONBLOCK/CLOEXEC
    p.and_(0xF)
    p.jump_if(_JEQ_K, SOCK_DGRAM, "eperm")
    p.ret(_ALLOW)
    p.label("ioctl")
    p.load(24)                                  # args[1]: request, low 32 bits
    p.jump_if(_JEQ_K, TIOCSTI, "eperm")
    p.jump_if(_JEQ_K, TIOCLINUX, "eperm")
    p.ret(_ALLOW)
    p.label("eperm")
    p.ret(_errno(errno.EPERM))
    p.label("enosys")
    p.ret(_errno(errno.ENOSYS))
    return p.assemble()
