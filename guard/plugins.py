"""Plugin registration and the typed facade the core calls instead of ``pm.hook``.

Builtin plugins live in ``plugins/`` and register through the entry-point group ``guard``,
exactly like third-party plugins. Security lists from plugins only ever add to the core's.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

from guard import hookspecs
from guard.entrypoints import entry_points as _entry_points
from guard.errors import GuardError

if TYPE_CHECKING:
    from guard.backend import Backend
    from guard.egress import EgressDecision, EgressRequest
    from guard.policy import Policy


@dataclass(frozen=True)
class PluginInfo:
    name: str
    module: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


class _PluginManager(pluggy.PluginManager):
    """Accepts plain ``guard_*`` functions as hook implementations, as pytest does for
    ``pytest_*``: a plugin then need not import pluggy, which keeps cached launches light.
    ``@guard.hookspecs.hookimpl`` still works and is needed only for options."""

    def parse_hookimpl_opts(self, plugin, name: str):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith("guard_") and callable(getattr(plugin, name, None)):
            opts = {}
        return opts


class Plugins:
    """The loaded plugins, with one typed method per hook."""

    def __init__(self, pm: pluggy.PluginManager, infos: list[PluginInfo], disabled: list[str]) -> None:
        self._pm = pm
        self.infos = infos
        self.disabled = disabled

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, extra: list[object] | None = None) -> Plugins:
        """Load every entry point in group ``guard`` not named in ``GUARD_DISABLE_PLUGINS``."""
        import importlib

        pm = _PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        disabled = [n.strip() for n in os.environ.get("GUARD_DISABLE_PLUGINS", "").split(",") if n.strip()]
        infos: list[PluginInfo] = []
        for name, value, dist in _entry_points(hookspecs.PROJECT):
            if name in disabled or pm.has_plugin(name):
                continue
            module, _, attr = value.partition(":")
            try:
                plugin = importlib.import_module(module.strip())
                for part in filter(None, attr.strip().split(".")):
                    plugin = getattr(plugin, part)
            except Exception as exc:  # a broken plugin must not be skipped silently
                raise GuardError(
                    f"plugin {name!r} ({value}) failed to import: {exc}",
                    hint=f"fix or uninstall it, or set GUARD_DISABLE_PLUGINS={name}",
                ) from exc
            pm.register(plugin, name=name)
            dist_name, _, version = dist.partition(" ")
            infos.append(PluginInfo(name, value, dist_name, version,
                                    tuple(h.name for h in pm.get_hookcallers(plugin) or ())))
        for plugin in extra or ():
            name = getattr(plugin, "__name__", type(plugin).__name__)
            pm.register(plugin, name=name)
            infos.append(PluginInfo(name, name, "(registered in code)", "-",
                                    tuple(h.name for h in pm.get_hookcallers(plugin) or ())))
        if os.environ.get("GUARD_TRACE_PLUGINS"):
            _trace(pm)
        return cls(pm, infos, disabled)

    # -- the facade: one typed method per hook ------------------------------------------------
    def backends(self) -> list[Backend]:
        return [b for result in self._pm.hook.guard_backends() for b in result]

    def protected_paths(self, workspace: Path, policy: Policy) -> list[tuple[str, str]]:
        return _pairs(self._pm.hook.guard_protected_paths(workspace=workspace, policy=policy))

    def denied_reads(self, home: Path, policy: Policy) -> list[tuple[str, str]]:
        return _pairs(self._pm.hook.guard_denied_reads(home=home, policy=policy))

    def secret_env(self, name: str, value: str) -> bool:
        return any(self._pm.hook.guard_secret_env(name=name, value=value))

    def egress_decisions(self, request: EgressRequest, policy: Policy) -> list[EgressDecision]:
        return [d for d in self._pm.hook.guard_egress_decision(request=request, policy=policy) if d]

    def credential_stores(self) -> list[object]:
        return [s for result in self._pm.hook.guard_credential_stores() for s in result]

    def integrations(self) -> list[object]:
        return [i for result in self._pm.hook.guard_integrations() for i in result]

    def doctor_checks(self) -> list:
        return [c for result in self._pm.hook.guard_doctor_checks() for c in result]


def _pairs(results: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    return [(str(path), str(why)) for result in results for path, why in result]


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name, hook_impls, kwargs):
        names = ", ".join(impl.plugin_name for impl in hook_impls)
        print(f"guard-trace: {hook_name}({', '.join(kwargs)}) -> [{names}]", file=sys.stderr)

    def after(outcome, hook_name, hook_impls, kwargs):
        try:
            result = outcome.get_result()
        except BaseException as exc:  # noqa: BLE001 - tracing reports, never swallows
            result = f"raised {exc!r}"
        print(f"guard-trace: {hook_name} = {result!r}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)
