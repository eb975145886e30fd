"""Builtin plugin ``egress``: the ``[network]`` rules of sandbox.toml.

Implements ``guard_egress_decision`` with ``allow``, ``deny`` and ``allow_local`` (see
``guard_egress.rules`` for the order and the attack each step stops). Another plugin can
add its own decision beside this one; since any deny wins, it can only make the boundary
tighter. Disabling this plugin (``GUARD_DISABLE_PLUGINS=egress``) denies everything: with no
allow at all, a request is denied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.hookspecs import hookimpl

if TYPE_CHECKING:
    from guard.egress import EgressDecision, EgressRequest
    from guard.policy import Policy


@hookimpl
def guard_egress_decision(request: EgressRequest, policy: Policy) -> EgressDecision:
    from guard_egress.rules import decide  # the engine loads only when the proxy asks

    return decide(request, policy)
