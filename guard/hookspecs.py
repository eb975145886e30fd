"""Every hook a guard plugin can implement. This module is the plugin author's reference.

A plugin is a module (or object) registered under the entry-point group ``guard``::

    [project.entry-points.guard]
    myplugin = "my_package.guard_plugin"

and implementing any of the hooks below with ``@guard.hookimpl``. Hooks that return lists are
called on every plugin and their results concatenated. Security-relevant hooks only ever add
restrictions: a plugin can add protected paths, denied reads and secret detectors, and can
deny an egress request, but cannot remove what the core or another plugin decided.

``GUARD_DISABLE_PLUGINS=a,b`` skips plugins by entry-point name; ``GUARD_TRACE_PLUGINS=1``
prints every hook call and its result on stderr. ``guard plugins`` lists what is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from guard.backend import Backend
    from guard.doctor import Check
    from guard.egress import EgressDecision, EgressRequest
    from guard.policy import Policy

PROJECT = "guard"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def guard_backends() -> list[Backend]:
    """Return the sandbox backends this plugin provides (see ``guard.backend.Backend``).

    The backend used is the one named in ``[backend]`` for this platform, else the first
    viable one in registration order.
    """


@hookspec
def guard_protected_paths(workspace: Path, policy: Policy) -> list[tuple[str, str]]:
    """Extra paths kept read-only inside the sandbox, as ``(path, why)`` pairs.

    ``path`` is relative to the workspace (applied at every depth where it exists) or
    absolute. ``why`` names the attack it stops. These add to the built-in list.
    """


@hookspec
def guard_denied_reads(home: Path, policy: Policy) -> list[tuple[str, str]]:
    """Extra paths that must be unreadable inside the sandbox, as ``(path, why)`` pairs.

    ``~`` is the user's home. Files and folders, existing or not.
    """


@hookspec
def guard_secret_env(name: str, value: str) -> bool | None:
    """Return True when an environment variable looks secret and must not enter the sandbox.

    Any True drops it, unless the policy names it in ``[env] pass``.
    """


@hookspec
def guard_egress_decision(request: EgressRequest, policy: Policy) -> EgressDecision | None:
    """Decide one outgoing connection attempt (see ``guard.egress``).

    Return None to abstain. Any deny wins; with no allow at all the request is denied.
    Requests are decided twice: by name before any DNS query (``request.resolved`` is False,
    so an unlisted name cannot leak data through a lookup), then with every resolved address.
    A plugin that needs addresses returns None while ``resolved`` is False.
    """


@hookspec
def guard_credential_stores() -> list[object]:
    """Return credential stores (``guard.broker.store.CredentialStore``) this plugin offers."""


@hookspec
def guard_integrations() -> list[object]:
    """Return integration generators (editor and agent configuration files)."""


@hookspec
def guard_doctor_checks() -> list[Check]:
    """Return extra machine checks for ``guard doctor`` (see ``guard.doctor.Check``)."""
