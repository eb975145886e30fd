"""Landlock's kernel interface: access bits, structs and the three syscalls, through ctypes.

Standard library only: the launcher imports this file by path under ``python -I -S``.
"""

from __future__ import annotations

import ctypes
import os
import struct

# Syscall numbers: the same on x86_64 and aarch64 (new syscalls share one table).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2

# Filesystem access rights, with the ABI that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

FS_ABI1 = (1 << 13) - 1
# Rights that make sense on a file (not a folder); the kernel rejects the others on files.
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR
# What "writable" means: create, change, remove, rename. Not device or socket nodes:
# mknod needs privileges anyway, and unix sockets are stopped by seccomp.
WRITE = WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_FIFO | MAKE_SYM | REFER | TRUNCATE


def handled_fs(abi: int) -> int:
    rights = FS_ABI1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def handled_net(abi: int) -> int:
    return NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0


def scopes(abi: int) -> int:
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI, 0 when Landlock is missing or disabled."""
    try:
        result = _libc().syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                                 ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(result), 0)


def create_ruleset(fs: int, net: int, scoped: int) -> int:
    # struct landlock_ruleset_attr grew with the ABI: pass only the fields this kernel knows.
    attr = struct.pack("=QQQ", fs, net, scoped)
    size = 24 if scoped else 16 if net else 8
    buf = ctypes.create_string_buffer(attr[:size], size)
    return _check(_libc().syscall(SYS_CREATE_RULESET, buf, ctypes.c_size_t(size), ctypes.c_uint32(0)),
                  "landlock_create_ruleset")


def add_path_rule(ruleset: int, allowed: int, fd: int) -> None:
    buf = ctypes.create_string_buffer(struct.pack("=Qi", allowed, fd), 12)  # packed struct
    _check(_libc().syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), buf,
                           ctypes.c_uint32(0)), "landlock_add_rule(path)")


def add_port_rule(ruleset: int, allowed: int, port: int) -> None:
    buf = ctypes.create_string_buffer(struct.pack("=QQ", allowed, port), 16)
    _check(_libc().syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_NET_PORT), buf,
                           ctypes.c_uint32(0)), "landlock_add_rule(port)")


def restrict_self(ruleset: int) -> None:
    _check(_libc().syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
           "landlock_restrict_self")
