"""A second seccomp filter, stacked on the bubblewrap backend's, for life without namespaces.

bwrap's filter (reused unchanged) stops new unix sockets, terminal injection and io_uring. On
the host's network stack the sandbox also needs: no socket other than TCP over IPv4/IPv6 (UDP,
SCTP, MPTCP, netlink and packet sockets are outside Landlock's TCP port rules, so each would be
a way out past the proxy), and no kernel keyring (the session keyring is shared with the host
and often holds credentials). The kernel runs every installed filter; the strictest answer wins.
"""

from __future__ import annotations

import errno
import os
import struct

# (audit arch, socket, add_key, request_key, keyctl)
_ARCHES = {
    "x86_64": (0xC000003E, 41, 248, 249, 250),
    "aarch64": (0xC00000B7, 198, 217, 218, 219),
}
AF_INET, AF_INET6 = 2, 10
SOCK_STREAM, SOCK_TYPE_MASK = 1, 0xF  # SOCK_NONBLOCK and SOCK_CLOEXEC live above the mask
IPPROTO_TCP = 6

_LD_W_ABS, _JEQ_K, _ALU_AND_K, _RET_K = 0x20, 0x15, 0x54, 0x06
_ALLOW, _KILL = 0x7FFF0000, 0x80000000


def _ins(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _errno(code: int) -> int:
    return 0x00050000 | code


def supported() -> bool:
    return os.uname().machine in _ARCHES


def build_filter() -> bytes:
    arch, nr_socket, nr_add_key, nr_request_key, nr_keyctl = _ARCHES[os.uname().machine]
    prog = [
        _ins(_LD_W_ABS, 0, 0, 4),                 # 0: A = arch
        _ins(_JEQ_K, 1, 0, arch),                 # 1
        _ins(_RET_K, 0, 0, _KILL),                # 2: a foreign ABI would dodge the rules below
        _ins(_LD_W_ABS, 0, 0, 0),                 # 3: A = syscall number
        _ins(_JEQ_K, 0, 9, nr_socket),            # 4: socket() -> 5, else -> 14
        _ins(_LD_W_ABS, 0, 0, 16),                # 5: A = domain
        _ins(_JEQ_K, 1, 0, AF_INET),              # 6: -> 8
        _ins(_JEQ_K, 0, 9, AF_INET6),             # 7: -> 8, any other family -> 17
        _ins(_LD_W_ABS, 0, 0, 24),                # 8: A = type
        _ins(_ALU_AND_K, 0, 0, SOCK_TYPE_MASK),   # 9
        _ins(_JEQ_K, 0, 6, SOCK_STREAM),          # 10: UDP, raw, seqpacket -> 17
        _ins(_LD_W_ABS, 0, 0, 32),                # 11: A = protocol
        _ins(_JEQ_K, 6, 0, 0),                    # 12: default (TCP) -> 19
        _ins(_JEQ_K, 5, 3, IPPROTO_TCP),          # 13: TCP -> 19; SCTP, MPTCP -> 17
        _ins(_JEQ_K, 3, 0, nr_add_key),           # 14: -> 18
        _ins(_JEQ_K, 2, 0, nr_request_key),       # 15: -> 18
        _ins(_JEQ_K, 1, 2, nr_keyctl),            # 16: -> 18, else -> 19
        _ins(_RET_K, 0, 0, _errno(errno.EAFNOSUPPORT)),  # 17: this socket would bypass the proxy
        _ins(_RET_K, 0, 0, _errno(errno.ENOSYS)),        # 18: as if the kernel had no keyrings
        _ins(_RET_K, 0, 0, _ALLOW),               # 19
    ]
    return b"".join(prog)
