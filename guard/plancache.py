"""A launch plan remembered for the next launch that would compute the same plan.

Planning costs far more than the sandbox itself (policy parsing, plugins, a workspace scan),
and it is the same work every time in one workspace. So a plan is stored after it is made,
together with everything it depends on, and reused only when all of it is unchanged:

- every filesystem fact the planner asked (``guard.probes``), replayed and compared,
  including the workspace scan and the content of every policy layer and the trust store;
- the whole environment (any variable could change what enters the sandbox), the user, cwd;
- guard's own code and installed plugins (the folders on ``sys.path`` and guard's files).

Anything else means a miss, and the full planner runs. The cache lives in guard's state
folder, which no sandbox can read or write, so a sandboxed command cannot plant a plan.
"""

from __future__ import annotations

import json
import os
import sys

from guard import paths

FORMAT = 3
# Variables a shell changes between commands; they never enter the sandbox unless the policy
# names them, and a plan that passes one of them is not cached (see ``store``).
_VOLATILE = ("_", "OLDPWD", "SHLVL", "PWD")


def _digest(text: str) -> str:
    from guard.digest import content_hash

    return content_hash(text.encode("utf-8", "surrogateescape"))


def _env_digest(env: dict[str, str]) -> str:
    return _digest(json.dumps(sorted((k, v) for k, v in env.items() if k not in _VOLATILE)))


def _code_fingerprint() -> list:
    """Installed distributions (site folders' mtimes) and guard's own files, as stat data."""
    import guard

    marks = []
    for entry in sys.path:
        try:
            marks.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            marks.append([entry, None])
    from importlib.util import find_spec

    from guard.entrypoints import plugin_modules

    roots = [os.path.dirname(guard.__file__)]
    for module in plugin_modules():  # located without importing them
        spec = find_spec(module)
        if spec is not None and spec.origin:
            roots.append(os.path.dirname(spec.origin))
    for root in sorted(set(roots)):
        if os.path.basename(os.path.dirname(root)) in ("site-packages", "dist-packages"):
            continue  # installed: pip renames a dist-info folder there, changing the folder's mtime
        for folder, _dirs, files in os.walk(root):  # a source checkout (editable install)
            for name in files:
                if name.endswith(".py"):
                    st = os.stat(os.path.join(folder, name))
                    marks.append([os.path.join(folder, name), st.st_mtime_ns, st.st_size])
    return marks


def _cache_file(cwd: str, workspace: str):
    return paths.state_dir() / "plans" / (_digest(f"{os.geteuid()}\0{workspace}\0{cwd}")[:32] + ".json")


def policy_facts(probes, workspace) -> None:
    """Record the content of every file the policy is built from, present or not."""
    for file in (paths.MANAGED_POLICY, paths.user_config(), workspace / paths.POLICY_FILENAME,
                 paths.state_dir() / "trust.json"):
        probes.content(file)


def store(plan, ctx, cmd: list[str], warnings: list[str]) -> None:
    """Remember ``plan`` for this workspace and cwd. Never fails the launch."""
    n = len(cmd)
    if n == 0 or list(plan.argv[-n:]) != list(cmd) or any(v in plan.env for v in _VOLATILE):
        return
    record = {
        "format": FORMAT,
        "python": sys.executable,
        "env": _env_digest(dict(os.environ)),
        "code": _code_fingerprint(),
        "facts": ctx.probes.facts,
        "plan": {
            "backend": plan.backend, "argv_prefix": list(plan.argv[:-n]), "env": plan.env,
            "placeholders": [[str(p), kind] for p, kind in plan.placeholders],
            "status_fd": plan.status_fd, "proxy": plan.proxy,
            "channel_placeholder": plan.channel_placeholder,
            "seccomp": plan.seccomp.hex() if plan.seccomp is not None else None,
        },
        "warnings": warnings,
    }
    file = _cache_file(str(ctx.cwd), str(ctx.policy.workspace))
    try:
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, file)
    except (OSError, TypeError, ValueError):
        pass


def _miss(reason: str) -> None:
    if os.environ.get("GUARD_TRACE_PLAN_CACHE"):
        print(f"guard-trace: plan cache miss: {reason}", file=sys.stderr)


def lookup(cwd: str, workspace):
    """The cached plan for launching in ``cwd`` (inside ``workspace``) when still valid, else None."""
    from pathlib import Path
    from types import SimpleNamespace

    from guard.probes import replay

    try:
        record = json.loads(_cache_file(str(Path(cwd).resolve()), str(workspace)).read_text())
    except (OSError, ValueError):
        _miss("no cached plan for this folder")
        return None
    try:
        if record["format"] != FORMAT or record["python"] != sys.executable:
            _miss("another guard or format")
            return None
        if record["env"] != _env_digest(dict(os.environ)):
            _miss("the environment changed")
            return None
        if record["code"] != _code_fingerprint():
            _miss("guard or its plugins changed")
            return None
        if not replay(record["facts"]):
            _miss("a file the plan depends on changed")
            return None
        data = record["plan"]
        plan = SimpleNamespace(
            backend=data["backend"], argv=list(data["argv_prefix"]), env=dict(data["env"]),
            placeholders=[(Path(p), kind) for p, kind in data["placeholders"]],
            status_fd=data["status_fd"], proxy=data["proxy"],
            channel_placeholder=data["channel_placeholder"],
            seccomp=bytes.fromhex(data["seccomp"]) if data["seccomp"] else None,
        )
        return plan, list(record["warnings"]), record["facts"]
    except (KeyError, TypeError, ValueError, OSError):
        return None
