"""Builtin plugin: the Seatbelt backend for macOS (a deny-by-default ``sandbox-exec`` profile).

The profile is generated from the launch context in ``profile``; ``docs/seatbelt-on-macos.md``
says how to run the real tests on a Mac.
"""

from __future__ import annotations

from guard.hookspecs import hookimpl


@hookimpl
def guard_backends():
    from guard_seatbelt.backend import SeatbeltBackend

    return [SeatbeltBackend()]
