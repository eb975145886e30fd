"""Resolve a Policy against this machine: the LaunchContext a backend plans from.

Paths are expanded and globbed, the workspace is scanned for protected names and nested
repositories, credentials are listed for hiding, the environment is filtered. Every
filesystem question goes through the context's ``Probes``, so a cached plan can be re-checked.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from guard.backend import DeniedRead, LaunchContext, ProtectedPath
from guard.errors import GuardError
from guard.policy import Policy


def _paths(probes, text: str, workspace: Path, home: Path) -> list[Path]:
    from guard.pathglob import expand

    return [Path(p) for p in probes.call("guard.pathglob:expand_glob", expand(text, str(workspace), str(home)))]


def _own_code(plugins) -> set[Path]:
    import guard

    found = {Path(guard.__file__).resolve().parent, Path(sys.prefix).resolve()}
    for info in getattr(plugins, "infos", ()):
        module = sys.modules.get(info.module.partition(":")[0].strip())
        if module is not None and getattr(module, "__file__", None):
            found.add(Path(module.__file__).resolve().parent)
    return found


def build_context(policy: Policy, argv: list[str], plugins, *, degraded: frozenset[str] = frozenset(),
                  learn: bool = False, probes=None, host_env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[LaunchContext, object]:
    """Resolve the policy against this machine: paths, protected files, environment."""
    from guard import paths
    from guard.envfilter import filter_env
    from guard.protected import BUILTIN_DENIED_READS
    from guard.workspace import scan_workspace

    from guard.probes import Probes

    probes = probes if probes is not None else Probes()
    workspace = policy.workspace
    home = Path(probes.realpath(paths.home()))
    if workspace in (Path("/"), home) or workspace in home.parents:
        raise GuardError(
            f"refusing to use {workspace} as the workspace: it would make your home writable",
            hint="run guard inside a repository, or add a sandbox.toml to the project folder",
        )
    host_env = dict(os.environ if host_env is None else host_env)
    env = filter_env(host_env, Policy.values(policy.env_pass), policy.env_overrides(), plugins.secret_env)

    denied: list[DeniedRead] = []
    relative_denies = []
    state = (str(paths.state_dir()), "guard's own state: trust hashes, scan cache, credential file")
    extra_state = [(os.environ["GUARD_CREDS_FILE"], "guard's encrypted credential file")] \
        if os.environ.get("GUARD_CREDS_FILE") else []
    entries = [*BUILTIN_DENIED_READS.items(), state, *extra_state, *plugins.denied_reads(home, policy),
               *((r.value, f"deny_read from {r.origin}") for r in policy.deny_read)]
    for text, why in list(entries):  # the same files where XDG variables move them
        for prefix, variable in (("~/.config/", "XDG_CONFIG_HOME"), ("~/.local/share/", "XDG_DATA_HOME")):
            base = host_env.get(variable)
            if text.startswith(prefix) and base and os.path.isabs(base):
                entries.append((os.path.join(base, text[len(prefix):]), f"{why} (under ${variable})"))
    for text, why in entries:
        if not (text.startswith(("~", "/"))):
            relative_denies.append(text)
            continue
        for path in _paths(probes, text, workspace, home):
            denied.append(DeniedRead(path, why))
            real = Path(probes.realpath(path))
            if real != path:  # a symlinked credential folder: hide where it really lives too
                denied.append(DeniedRead(real, why + " (symlink target)"))

    extra_names = {}
    extra_abs = []
    for text, why in plugins.protected_paths(workspace, policy):
        if text.startswith("/"):
            extra_abs.append(ProtectedPath(Path(text), why))
        else:
            extra_names[text] = why
    scan = scan_workspace(workspace, extra_names, relative_denies, probes=probes)
    denied += [DeniedRead(p, why) for p, why in scan.denied]
    protected = [ProtectedPath(p, why) for p, why in scan.protected] + extra_abs

    writable = [workspace] + [p for r in policy.allow_write for p in _paths(probes, r.value, workspace, home)]
    # guard's own code and interpreter run outside the sandbox next time: a sandboxed edit
    # there would be an escape, e.g. when guard is installed inside the workspace it guards.
    # The same for configuration that guard and git outside obey, should allow_write cover it.
    obeyed = [(p, "guard's own code or interpreter: it runs outside next") for p in _own_code(plugins)]
    obeyed += [(paths.config_dir(), "guard's user policy layer"),
               (home / ".gitconfig", "git's global config runs programs outside"),
               (Path(host_env.get("XDG_CONFIG_HOME") or home / ".config") / "git",
                "git's global config runs programs outside")]
    for own, why in obeyed:
        if any(own == w or w in own.parents for w in writable):
            protected.append(ProtectedPath(own, why))
            scan.pinned.add(own.parent)  # and `mv plugins x; mkdir plugins` must not work either
    read_only = [p for r in policy.deny_write for p in _paths(probes, r.value, workspace, home)]
    for path in read_only:  # `mv data x; mkdir -p data/raw` must not replace a read-only folder
        if workspace in path.parents:
            scan.pinned.add(path.parent)
    # A protected name that is a symlink cannot be kept read-only: a bind mount follows the link
    # (or fails on a dangling one), and the link itself could be replaced by a real folder.
    for item in protected:
        if probes.is_link(item.path) and any(w in item.path.parents for w in writable):
            raise GuardError(
                f"{item.path} is a symbolic link, so guard cannot keep it read-only "
                f"({item.why})",
                hint=f"replace the link with the real file or folder, or remove it: {item.path}",
            )
    allow_reads = [p for r in policy.allow_read for p in _paths(probes, r.value, workspace, home)]
    ctx = LaunchContext(
        policy=policy, argv=tuple(argv), env=env.env, cwd=(cwd or Path.cwd()).resolve(),
        protected=tuple(protected), denied_reads=tuple(denied), writable=tuple(writable),
        read_only=tuple(read_only), allow_reads=tuple(allow_reads), degraded=degraded,
        extra={"pinned": sorted(scan.pinned)}, probes=probes,
    )
    return ctx, env
