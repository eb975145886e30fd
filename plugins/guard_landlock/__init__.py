"""Builtin plugin: the Landlock backend for Linux machines where user namespaces are blocked.

Landlock (an unprivileged LSM) confines writes to the workspace and TCP connects to the egress
proxy's port, and a seccomp filter stops new unix and UDP sockets. What it cannot do (make a
folder read-only inside the writable workspace, limit a port to one address) is reported as
named degraded modes, and guard refuses to run until the user accepts them by name.
"""

from __future__ import annotations

from guard.hookspecs import hookimpl


# trylast: pluggy calls the last registered plugin first, and the first viable backend is
# chosen when the policy names none; Landlock must come after the stronger bwrap.
@hookimpl(trylast=True)
def guard_backends():
    from guard_landlock.backend import LandlockBackend

    return [LandlockBackend()]
