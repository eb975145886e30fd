"""The Landlock backend: the policy as Landlock rules plus seccomp, applied by a tiny launcher.

No namespaces, so no mounts: the command sees the host's filesystem, network stack and /tmp.
Writes are confined to the workspace, allow_write paths and a private TMPDIR; reads are carved
around denied paths (see ``rules``); TCP connects reach only the egress proxy's port; signals
and abstract unix sockets stay inside the sandbox (ABI 6+); seccomp stops new unix, UDP and
other non-TCP sockets and the kernel keyring. What it cannot do is in ``unenforced``.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from guard.backend import LaunchContext, Viability
from guard.launch import LaunchPlan

from guard_landlock import landlock as ll
from guard_landlock.rules import read_rules, write_rules

LAUNCHER = Path(__file__).resolve().parent / "launch.py"
CHANNEL_PLACEHOLDER = "@guard-channel-fd@"


def _inside(path: Path, roots) -> bool:
    return any(path == r or r in path.parents for r in roots)


class LandlockBackend:
    name = "landlock"
    platforms = ("linux",)
    strength = 50  # below bwrap: no private /tmp, protected paths, or per-address network rules

    def __init__(self, abi: int | None = None) -> None:
        self._abi = abi  # tests pin an older ABI to see what it reports

    def abi(self) -> int:
        if self._abi is None:
            self._abi = ll.abi_version()
        return self._abi

    def viability(self) -> Viability:
        if sys.platform != "linux":
            return Viability(False, "Landlock is a Linux feature")
        abi = self.abi()
        if abi < 1:
            return Viability(False, "Landlock is not enabled in this kernel",
                             "boot a kernel >= 5.13 with landlock in the lsm= list "
                             "(e.g. lsm=landlock,lockdown,yama,apparmor,bpf)")
        return Viability(True, f"Landlock ABI {abi}")

    def unenforced(self, ctx: LaunchContext) -> list[str]:
        from guard.protected import CREATE_PREVENTED_DIRS, CREATE_PREVENTED_FILES
        from guard_bwrap import seccomp
        from guard_landlock import sockfilter

        abi = self.abi()
        missing = []
        writable = [p for p in ctx.writable if p.exists()]
        workspace = ctx.policy.workspace
        stay_writable = [str(p.path) for p in ctx.protected if _inside(p.path, writable)]
        creatable = [str(workspace / n) for n in CREATE_PREVENTED_DIRS + CREATE_PREVENTED_FILES
                     if not os.path.lexists(workspace / n)]
        if (workspace / ".git").is_dir() and not os.path.lexists(workspace / ".git" / "hooks"):
            creatable.append(str(workspace / ".git" / "hooks"))
        if stay_writable or creatable:
            missing.append(
                "protected-paths: Landlock cannot keep a path read-only inside the writable "
                "workspace, so these stay writable: " + ", ".join(stay_writable)
                + ("; and these can be created: " + ", ".join(creatable) if creatable else ""))
        frozen = [str(p) for p in ctx.read_only if _inside(p, writable)]
        if frozen:
            missing.append("deny-write: Landlock cannot keep these read-only inside a writable "
                           "folder: " + ", ".join(frozen))
        if abi < 4:
            missing.append(f"network: TCP connections are not restricted (Landlock ABI {abi} < 4)")
        elif ctx.network == "proxy":
            missing.append("net-port-only: TCP connects are limited to the proxy's port number, "
                           "but on every address (Landlock port rules have none): a server "
                           "listening on that port elsewhere is reachable")
        if abi < 3:
            missing.append(f"truncate: files outside the workspace can be truncated (Landlock ABI {abi} < 3)")
        if abi < 6:
            missing.append(f"signals: the command can signal your other processes (Landlock ABI {abi} < 6)")
        if not (seccomp.supported() and sockfilter.supported()):
            missing.append("unix-sockets: no seccomp filter for this CPU: host unix sockets "
                           "(session bus, keyring, docker) and UDP are reachable")
        return missing

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        from guard_bwrap import seccomp
        from guard_landlock import sockfilter

        abi = self.abi()
        denied = {d.path for d in ctx.denied_reads}
        reads = read_rules(denied)
        # allow_read re-allows a path below a denied folder: a whole-subtree rule of its own
        reads += [r for p in ctx.allow_reads if p.exists() for r in read_rules(set(), p)[1:]]
        # Not the host /tmp: it holds other programs' sockets and files. A per-run folder there,
        # created and (when left empty) removed by the runner, is the command's TMPDIR.
        tmpdir = Path("/tmp") / f"guard-landlock-{uuid.uuid4().hex[:16]}"
        writes = write_rules(ctx.writable, tmpdir)
        filters = [seccomp.build_filter().hex(), sockfilter.build_filter().hex()] \
            if seccomp.supported() and sockfilter.supported() else []
        proxy = ctx.network == "proxy"
        env = dict(ctx.env)
        env.update({"GUARD_SANDBOX": "1", "TMPDIR": str(tmpdir), "TMP": str(tmpdir), "TEMP": str(tmpdir)})
        proxy_env = {}
        if proxy:
            from guard_bwrap import netboot

            # netboot formats the port into each URL; the launcher fills in the one it bound
            proxy_env = netboot.proxy_env("{port}",  # type: ignore[arg-type]
                                          git_hosts=ctx.policy.values(ctx.policy.git_hosts),
                                          allow_local=ctx.policy.values(ctx.policy.allow_local))
        spec = {"abi": abi, "fs": ll.handled_fs(abi), "net": ll.handled_net(abi), "scoped": ll.scopes(abi),
                "filters": filters, "proxy_env": proxy_env}
        handled = ll.handled_fs(abi)  # a rule may only grant rights this kernel handles
        rules = [replace(r, access=r.access & handled).arg() for r in reads + writes if r.access & handled]
        argv = [sys.executable, "-I", "-S", str(LAUNCHER), CHANNEL_PLACEHOLDER if proxy else "-",
                json.dumps(spec, separators=(",", ":")), *rules, "--", *ctx.argv]
        notes = ["names inside denied folders stay listable; their contents do not",
                 "the host /tmp is read-only; TMPDIR is a private folder for this run",
                 "TCP servers cannot be started (binding a port is denied)"]
        return LaunchPlan(backend=self.name, argv=argv, env=env, placeholders=[(tmpdir, "tmpdir")],
                          notes=notes, proxy=proxy, channel_placeholder=CHANNEL_PLACEHOLDER if proxy else "")
