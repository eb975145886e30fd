"""Run one integration for ``guard editor`` / ``guard agent``: write its plan, or check it.

Write mode replaces each changed file atomically and says which; ``--check`` changes
nothing, prints the unified diff of every file that differs and exits 1 (0 when all match).
Warnings go to stderr on every run, so a folder-open task or a disabled hook is never quiet.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from guard.errors import UsageError

EXIT_DRIFT = 1


def find(kind: str, name: str, integrations: list) -> object:
    mine = [i for i in integrations if getattr(i, "kind", None) == kind]
    for integration in mine:
        if integration.name == name:
            return integration
    names = ", ".join(sorted(i.name for i in mine)) or "none (is the 'integrations' plugin disabled "\
        "in GUARD_DISABLE_PLUGINS?)"
    raise UsageError(f"no {kind} integration named {name!r}; available: {names}")


def run(kind: str, name: str, workspace: Path, *, check: bool = False, list_json: bool = False,
        integrations: list | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if integrations is None:
        from guard.plugins import Plugins

        integrations = Plugins.load().integrations()
    integration = find(kind, name, integrations)
    if list_json:
        if getattr(integration, "list_json", None) is None:
            raise UsageError(f"--list-json is offered by vscode only, not by {name!r}")
        out.write(integration.list_json(workspace) + "\n")
        return 0
    plan = integration.plan(workspace)
    for warning in plan.warnings:
        err.write(f"guard: {warning}\n")
    if check:
        for change in plan.changes:
            out.write(change.diff())
            err.write(f"guard: {change.display} differs from what `guard {kind} {name}` writes\n")
        if plan.changes:
            err.write(f"guard: run `guard {kind} {name}` to update {len(plan.changes)} file(s)\n")
            return EXIT_DRIFT
        err.write(f"guard: {kind} {name}: up to date\n")
        return 0
    for change in plan.files:
        if change.changed:
            change.write()
            err.write(f"guard: wrote {change.display}\n")
        else:
            err.write(f"guard: {change.display} is up to date\n")
    for note in plan.notes:
        err.write(f"guard: note: {note}\n")
    return 0
