"""Builtin plugin: the bubblewrap backend for Linux (namespaces, mounts, a seccomp filter)."""

from __future__ import annotations

from guard.hookspecs import hookimpl


@hookimpl
def guard_backends():
    from guard_bwrap.backend import BwrapBackend

    return [BwrapBackend()]


@hookimpl
def guard_doctor_checks():
    from guard_bwrap.checks import checks

    return checks()
