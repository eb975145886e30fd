"""Builtin plugin guard_integrations: the editor and agent generators guard ships.

Registered under the entry point ``integrations`` like any third-party plugin; a plugin that
adds an editor or agent returns more ``guard.integrations.plan.Integration`` objects from
the same hook.
"""

from guard.hookspecs import hookimpl


@hookimpl
def guard_integrations() -> list[object]:
    from guard.integrations.builtin import builtin_integrations

    return builtin_integrations()
