"""Policy -> LaunchContext -> LaunchPlan (data, from the backend plugin) -> process -> status.

``guard.context`` resolves the policy against this machine; here a backend is chosen and
asked for its plan. Everything before ``execute`` is pure planning, so ``guard explain`` and the tests can read
the plan without running anything.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from guard.backend import Backend, LaunchContext
from guard.errors import BackendUnavailable
from guard.policy import Policy


@dataclass(frozen=True)
class Mount:
    kind: str  # "ro-bind", "bind", "tmpfs", "hide-file", "dev", "proc", "pin"
    dest: str
    source: str | None = None
    why: str = ""


@dataclass
class LaunchPlan:
    backend: str
    argv: list[str]  # the full argv to execute, backend wrapper included
    env: dict[str, str]  # the environment the wrapper process gets
    mounts: list[Mount] = field(default_factory=list)
    placeholders: list[tuple[Path, str]] = field(default_factory=list)  # (path, "dir"|"file")
    unenforced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status_fd: bool = False  # the wrapper reports child pid and exit code as JSON on an extra fd
    seccomp: bytes | None = None  # a compiled seccomp filter the wrapper installs
    proxy: bool = False  # a listening socket arrives on the channel; serve the egress proxy on it
    channel_placeholder: str = ""  # argv token replaced by the channel's fd number


def current_platform() -> str:
    return {"linux": "linux", "darwin": "macos"}.get(sys.platform, sys.platform)


def select_backend(policy: Policy, backends: list[Backend]) -> tuple[Backend, list[str]]:
    """The backend to use, and why any stronger one was passed over (each with its fix)."""
    platform = current_platform()
    wanted = policy.backend_for(platform)
    # strongest first, so that with no [backend] choice the best viable one is used
    available = sorted((b for b in backends if platform in b.platforms),
                       key=lambda b: -getattr(b, "strength", 0))
    if wanted is not None:
        for backend in available:
            if backend.name == wanted.value:
                return backend, []
        names = ", ".join(b.name for b in available) or "none"
        raise BackendUnavailable(
            f"backend {wanted.value!r} (from {wanted.origin}) is not installed; installed: {names}",
            hint="install the backend plugin, or change [backend] in the policy",
        )
    reasons = []
    for backend in available:
        viability = backend.viability()
        if viability.ok:
            # say why a stronger backend was passed over: its fix is the way back to it
            return backend, [f"{r} (fix: {f})" if f else r for r, f in reasons]
        reasons.append((f"{backend.name} cannot run here: {viability.reason}", viability.fix))
    reasons = [r for r, _f in reasons]
    raise BackendUnavailable(
        "no sandbox backend can run on this machine" + ("; " + "; ".join(reasons) if reasons else ""),
        hint="run `guard doctor` for the fix",
    )


def plan_for(policy: Policy, argv: list[str], plugins, **kwargs) -> tuple[Backend, LaunchContext, LaunchPlan, object]:
    backend, passed_over = select_backend(policy, plugins.backends())
    viability = backend.viability()
    if not viability.ok:
        raise BackendUnavailable(f"backend {backend.name!r} cannot run here: {viability.reason}",
                                 hint=viability.fix or "run `guard doctor`")
    from guard.context import build_context

    ctx, env = build_context(policy, argv, plugins, **kwargs)
    wants_net = bool(policy.net_allow or policy.allow_local or policy.git_hosts or policy.git_inject
                     or kwargs.get("learn"))
    if wants_net:
        ctx = replace(ctx, network="proxy")
    plan = backend.plan(ctx)
    plan.unenforced = backend.unenforced(ctx)
    plan.notes = [*passed_over, *plan.notes]
    return backend, ctx, plan, env
