"""The bubblewrap backend: the policy as a bwrap argv, every mount with the attack it stops."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from guard.backend import LaunchContext, Viability
from guard.launch import LaunchPlan, Mount

from guard_bwrap import machine


def _inside(path: Path, roots) -> bool:
    return any(path == r or r in path.parents for r in roots)


class BwrapBackend:
    name = "bwrap"
    platforms = ("linux",)
    strength = 100  # keeps every promise of the contract suite (tests/test_backend_contract_bwrap.py)

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
        probes = ctx.probes
        probes.call("guard_bwrap.machine:userns_problem")  # a cached plan needs a still-usable bwrap
        bwrap = probes.call("guard_bwrap.machine:bwrap_path") or "bwrap"
        args: list[str] = [bwrap]
        mounts: list[Mount] = []

        def mount(kind: str, dest: Path | str, source: Path | str | None = None, why: str = "") -> None:
            mounts.append(Mount(kind, str(dest), str(source) if source else None, why))

        # Namespaces: a new user, pid, ipc, uts, cgroup and network namespace. The network
        # namespace has only its own loopback: no route out, no abstract unix sockets of the host.
        args += ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                 "--unshare-net", "--unshare-cgroup-try", "--hostname", "guard-sandbox"]
        if tuple(probes.call("guard_bwrap.machine:cached_version", bwrap)) >= (0, 8):
            args += ["--disable-userns"]  # no nested user namespaces: less kernel attack surface
        # --new-session: no controlling terminal, so TIOCSTI cannot type into the host shell;
        # --die-with-parent: the sandbox never outlives guard; no capabilities at all.
        args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]

        mount("ro-bind", "/", "/", "everything outside the workspace is read-only")
        mount("dev", "/dev", why="a minimal /dev: no host devices, no /dev/log socket")
        mount("proc", "/proc", why="a /proc of the sandbox's own pid namespace: no host process visible")
        mount("tmpfs", "/tmp", why="a private /tmp: host sockets such as /tmp/.X11-unix unreachable")
        for run in ("/run", "/var/run"):
            if probes.is_dir(run) and not probes.is_link(run):
                mount("tmpfs", run, why="host sockets (D-Bus system bus, docker.sock) unreachable")
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime and probes.is_dir(runtime) and not runtime.startswith("/run/"):
            mount("tmpfs", runtime, why="the session bus and agent sockets live here")

        writable_roots = list(ctx.writable)
        for path in ctx.writable:
            if probes.exists(path):
                mount("bind", path, path, "writable: " + ("the workspace" if path == ctx.policy.workspace
                                                          else "allow_write in the policy"))

        read_only_roots = [p for p in ctx.read_only if probes.exists(p) and _inside(p, writable_roots)]
        protected, seen_protected = [], set()
        for item in ctx.protected:
            if item.path not in seen_protected and probes.exists(item.path):
                seen_protected.add(item.path)
                protected.append(item)
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
            if not _inside(folder, frozen) and probes.is_dir(folder):
                mount("pin", folder, folder, "pinned so it cannot be renamed away")

        for path in read_only_roots:
            mount("ro-bind", path, path, "deny_write in the policy")
        for item in protected:
            mount("ro-bind", item.path, item.path, item.why)

        placeholders: list[tuple[Path, str]] = []
        if probes.is_dir(workspace):
            from guard.protected import CREATE_PREVENTED_DIRS, CREATE_PREVENTED_FILES

            for name in CREATE_PREVENTED_DIRS + CREATE_PREVENTED_FILES:
                path = workspace / name
                if not probes.lexists(path):
                    placeholders.append((path, "dir" if name in CREATE_PREVENTED_DIRS else "file"))
                    mount("ro-bind", path, path, f"{name} must not be created: it would run outside later")
            hooks = workspace / ".git" / "hooks"
            if probes.is_dir(workspace / ".git") and not probes.lexists(hooks):
                placeholders.append((hooks, "dir"))
                mount("ro-bind", hooks, hooks, "git hooks must not be created")

        # Denied reads last, so they win over every bind above (even inside the workspace).
        seen: set[Path] = set()
        for item in ctx.denied_reads:
            path = item.path
            if path in seen or not probes.lexists(path):
                continue  # missing and under a read-only parent: nothing to hide, nothing creatable
            seen.add(path)
            if probes.is_dir(path):
                mount("tmpfs-ro", path, why=item.why)
            else:
                mount("hide-file", path, "/dev/null", item.why)
        for path in ctx.allow_reads:
            if probes.exists(path):
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

        seccomp_filter = seccomp.build_filter() if probes.call("guard_bwrap.seccomp:supported") else None
        env = dict(ctx.env)
        env["GUARD_SANDBOX"] = "1"
        env["TMPDIR"] = "/tmp"
        command = list(ctx.argv)
        proxy = ctx.network == "proxy"

        def late_ro_bind(source: str, dest: str, why: str) -> None:  # after the mounts above
            mounts.append(Mount("ro-bind", dest, source, why))
            args.extend(["--ro-bind", source, dest])

        if proxy:  # the only way out: a proxy listening inside the sandbox's own netns
            from guard_bwrap import netboot

            command = netboot.wrap(ctx.argv)
            python = netboot.interpreter()
            hidden = [m.dest for m in mounts if m.kind in ("tmpfs", "tmpfs-ro")]
            if any(python.startswith(h.rstrip("/") + "/") for h in hidden):
                # the interpreter itself lives under a folder the sandbox gets empty: show it, read-only
                prefix = os.path.realpath(sys.base_prefix)
                late_ro_bind(prefix, prefix, "the interpreter of the network step")
            env.update(netboot.proxy_env(git_hosts=ctx.policy.values(ctx.policy.git_hosts),
                                         allow_local=ctx.policy.values(ctx.policy.allow_local)))
            inject = ctx.policy.values(ctx.policy.git_inject)
            if inject:  # the session CA's files, written per run, appear read-only under /run
                env.update(netboot.injection_env(inject))
                late_ro_bind(netboot.CA_BUNDLE_PLACEHOLDER, netboot.CA_BUNDLE_INSIDE,
                             "the session CA for token injection (no key: that stays in guard)")
                late_ro_bind(netboot.CA_CERT_PLACEHOLDER, netboot.CA_CERT_INSIDE, "the session CA alone, for Node")
        cwd = ctx.cwd if probes.is_dir(ctx.cwd) else workspace
        args += ["--chdir", str(cwd)]
        args += ["--", *command]
        return LaunchPlan(backend=self.name, argv=args, env=env, mounts=mounts, placeholders=placeholders,
                          status_fd=True, seccomp=seccomp_filter, proxy=proxy,
                          channel_placeholder="@guard-channel-fd@" if proxy else "")
