"""The bubblewrap backend: the policy as a bwrap argv, every mount with the attack it stops."""

from __future__ import annotations

import json
import os
from pathlib import Path

from guard.backend import LaunchContext, Viability
from guard.launch import LaunchPlan, Mount

from guard_bwrap import machine


def _inside(path: Path, roots) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _cached_version(path: str) -> tuple[int, ...]:
    """bwrap --version, cached per binary so that a launch does not pay for an extra exec."""
    from guard import paths

    st = os.stat(path)
    key = f"{path}:{st.st_mtime_ns}:{st.st_size}"
    cache = paths.state_dir() / "bwrap-version.json"
    try:
        data = json.loads(cache.read_text())
        if data.get("key") == key:
            return tuple(data["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    version = machine.bwrap_version(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "version": list(version)}))
    except OSError:
        pass
    return version


class BwrapBackend:
    name = "bwrap"
    platforms = ("linux",)

    def viability(self) -> Viability:
        if machine.bwrap_path() is None:
            return Viability(False, "bubblewrap (bwrap) is not installed",
                             "sudo apt-get install bubblewrap  (or your distribution's package)")
        problem = machine.userns_problem()
        if problem:
            return Viability(False, *problem)
        return Viability(True)

    def unenforced(self, ctx: LaunchContext) -> list[str]:
        from guard_bwrap import seccomp

        missing = []
        if not seccomp.supported():
            missing.append("unix-socket and terminal-injection filter (no seccomp filter for this CPU)")
        return missing

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        bwrap = machine.bwrap_path() or "bwrap"
        args: list[str] = [bwrap]
        mounts: list[Mount] = []

        def mount(kind: str, dest: Path | str, source: Path | str | None = None, why: str = "") -> None:
            mounts.append(Mount(kind, str(dest), str(source) if source else None, why))

        # Namespaces: a new user, pid, ipc, uts, cgroup and network namespace. The network
        # namespace has only its own loopback: no route out, no abstract unix sockets of the host.
        args += ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                 "--unshare-net", "--unshare-cgroup-try", "--hostname", "guard-sandbox"]
        if _cached_version(bwrap) >= (0, 8):
            args += ["--disable-userns"]  # no nested user namespaces: less kernel attack surface
        # --new-session: no controlling terminal, so TIOCSTI cannot type into the host shell;
        # --die-with-parent: the sandbox never outlives guard; no capabilities at all.
        args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]

        mount("ro-bind", "/", "/", "everything outside the workspace is read-only")
        mount("dev", "/dev", why="a minimal /dev: no host devices, no /dev/log socket")
        mount("proc", "/proc", why="a /proc of the sandbox's own pid namespace: no host process visible")
        mount("tmpfs", "/tmp", why="a private /tmp: host sockets such as /tmp/.X11-unix unreachable")
        for run in ("/run", "/var/run"):
            if os.path.isdir(run) and not os.path.islink(run):
                mount("tmpfs", run, why="host sockets (D-Bus system bus, docker.sock) unreachable")
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime and os.path.isdir(runtime) and not runtime.startswith("/run/"):
            mount("tmpfs", runtime, why="the session bus and agent sockets live here")

        writable_roots = list(ctx.writable)
        for path in ctx.writable:
            if path.exists():
                mount("bind", path, path, "writable: " + ("the workspace" if path == ctx.policy.workspace
                                                          else "allow_write in the policy"))

        read_only_roots = [p for p in ctx.read_only if p.exists() and _inside(p, writable_roots)]
        protected = [p for p in ctx.protected if p.path.exists()]
        frozen = read_only_roots + [p.path for p in protected]

        # Pin every folder on the way to a protected path as a mount point: a mount point cannot
        # be renamed, so `mv .git x; mkdir .git` cannot swap in a writable look-alike.
        pins: set[Path] = set()
        workspace = ctx.policy.workspace
        for folder in ctx.extra.get("pinned", ()):
            while folder != workspace and workspace in folder.parents:
                pins.add(folder)
                folder = folder.parent
        for folder in sorted(pins, key=lambda p: len(p.parts)):
            if not _inside(folder, frozen) and folder.is_dir():
                mount("pin", folder, folder, "pinned so it cannot be renamed away")

        for path in read_only_roots:
            mount("ro-bind", path, path, "deny_write in the policy")
        for item in protected:
            mount("ro-bind", item.path, item.path, item.why)

        placeholders: list[tuple[Path, str]] = []
        if workspace.is_dir():
            from guard.protected import CREATE_PREVENTED_DIRS, CREATE_PREVENTED_FILES

            for name in CREATE_PREVENTED_DIRS + CREATE_PREVENTED_FILES:
                path = workspace / name
                if not os.path.lexists(path):
                    placeholders.append((path, "dir" if name in CREATE_PREVENTED_DIRS else "file"))
                    mount("ro-bind", path, path, f"{name} must not be created: it would run outside later")
            hooks = workspace / ".git" / "hooks"
            if (workspace / ".git").is_dir() and not os.path.lexists(hooks):
                placeholders.append((hooks, "dir"))
                mount("ro-bind", hooks, hooks, "git hooks must not be created")

        # Denied reads last, so they win over every bind above (even inside the workspace).
        seen: set[Path] = set()
        for item in ctx.denied_reads:
            path = item.path
            if path in seen or not os.path.lexists(path):
                continue  # missing and under a read-only parent: nothing to hide, nothing creatable
            seen.add(path)
            if path.is_dir():
                mount("tmpfs-ro", path, why=item.why)
            else:
                mount("hide-file", path, "/dev/null", item.why)
        for path in ctx.allow_reads:
            if path.exists():
                mount("ro-bind", path, path, "allow_read re-allows it below a denied folder")

        for m in mounts:
            if m.kind in ("ro-bind",):
                args += ["--ro-bind", m.source, m.dest]
            elif m.kind in ("bind", "pin"):
                args += ["--bind", m.source, m.dest]
            elif m.kind == "hide-file":
                args += ["--ro-bind", "/dev/null", m.dest]
            elif m.kind == "tmpfs":
                args += ["--tmpfs", m.dest]
            elif m.kind == "tmpfs-ro":
                args += ["--perms", "0555", "--tmpfs", m.dest, "--remount-ro", m.dest]
            elif m.kind == "dev":
                args += ["--dev", m.dest]
            elif m.kind == "proc":
                args += ["--proc", m.dest]

        from guard_bwrap import seccomp

        notes = []
        seccomp_filter = seccomp.build_filter() if seccomp.supported() else None
        cwd = ctx.cwd if ctx.cwd.exists() else workspace
        args += ["--chdir", str(cwd)]
        env = dict(ctx.env)
        env["GUARD_SANDBOX"] = "1"
        env["TMPDIR"] = "/tmp"
        command = list(ctx.argv)
        proxy = ctx.network == "proxy"
        if proxy:  # the only way out: a proxy listening inside the sandbox's own netns
            from guard_bwrap import netboot

            command = netboot.wrap(ctx.argv)
            env.update(netboot.proxy_env())
        args += ["--", *command]
        return LaunchPlan(backend=self.name, argv=args, env=env, mounts=mounts, placeholders=placeholders,
                          notes=notes, status_fd=True, seccomp=seccomp_filter, proxy=proxy,
                          channel_placeholder="@guard-channel-fd@" if proxy else "")
