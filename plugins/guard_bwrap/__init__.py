"""Builtin plugin: the bubblewrap backend for Linux (namespaces, mounts, a seccomp filter).

Hooks are plain ``guard_*`` functions (no pluggy import), so that a cached launch can import
``guard_bwrap.machine`` to re-check this machine without loading the plugin machinery.
"""

from __future__ import annotations


def guard_backends():
    from guard_bwrap.backend import BwrapBackend

    return [BwrapBackend()]


def guard_doctor_checks():
    from guard_bwrap.checks import checks

    return checks()
