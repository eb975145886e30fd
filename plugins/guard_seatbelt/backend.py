"""The Seatbelt backend: ``sandbox-exec -p PROFILE CMD`` with a profile built per run."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from guard.backend import LaunchContext, Viability
from guard.launch import LaunchPlan

from guard_seatbelt import profile

SANDBOX_EXEC = "/usr/bin/sandbox-exec"
CHANNEL_PLACEHOLDER = "@guard-channel-fd@"

# Runs before sandbox-exec when the command may use the proxy: bind the proxy's listener on
# the host loopback (the kernel picks a free port: nobody can race for it), hand it to guard
# over the inherited socketpair, wait for the proxy, write the port into the profile and the
# proxy variables, exec sandbox-exec. Standard library only.
PORTBOOT = (
    "import os,socket,sys\n"
    "ch=socket.socket(fileno=int(sys.argv[1]))\n"
    "l=socket.socket(socket.AF_INET,socket.SOCK_STREAM)\n"
    "l.bind(('127.0.0.1',0));l.listen(512)\n"
    "socket.send_fds(ch,[b'L'],[l.fileno()])\n"
    "ok=ch.recv(1);port=str(l.getsockname()[1])\n"
    "l.close();ch.close()\n"
    "if ok!=b'G':sys.exit('guard: the egress proxy did not start')\n"
    f"t={profile.PORT_PLACEHOLDER!r}\n"
    "env={k:v.replace(t,port) for k,v in os.environ.items()}\n"
    "argv=[a.replace(t,port) for a in sys.argv[2:]]\n"
    "os.execve(argv[0],argv,env)\n"
)


class SeatbeltBackend:
    name = "seatbelt"
    platforms = ("macos",)
    strength = 90

    def viability(self) -> Viability:
        if sys.platform != "darwin":
            return Viability(False, "Seatbelt (sandbox-exec) exists only on macOS")
        if not os.access(SANDBOX_EXEC, os.X_OK):
            return Viability(False, f"{SANDBOX_EXEC} is missing", "reinstall macOS command line tools")
        return Viability(True)

    def unenforced(self, ctx: LaunchContext) -> list[str]:
        return []

    def plan(self, ctx: LaunchContext) -> LaunchPlan:
        run_id = uuid.uuid4().hex[:16]
        tag = f"guard-run-{run_id}"
        # not the user's $TMPDIR: other programs keep sockets and state there
        tmpdir = Path("/private/tmp") / f"guard-seatbelt-{run_id}"
        text = profile.build(ctx, tag, tmpdir)
        env = dict(ctx.env)
        env.update({"GUARD_SANDBOX": "1", "TMPDIR": str(tmpdir)})
        argv = [SANDBOX_EXEC, "-p", text, *ctx.argv]
        proxy = ctx.network == "proxy"
        if proxy:
            from guard_bwrap import netboot

            env.update(netboot.proxy_env(profile.PORT_PLACEHOLDER,  # type: ignore[arg-type]
                                         git_hosts=ctx.policy.values(ctx.policy.git_hosts),
                                         allow_local=ctx.policy.values(ctx.policy.allow_local)))
            argv = [sys.executable, "-I", "-S", "-c", PORTBOOT, CHANNEL_PLACEHOLDER, *argv]
        notes = [f"denials in the system log carry the tag {tag}: "
                 f"log show --last 5m --predicate 'eventMessage CONTAINS \"{tag}\"'"]
        return LaunchPlan(backend=self.name, argv=argv, env=env, placeholders=[(tmpdir, "dir")],
                          notes=notes, proxy=proxy, channel_placeholder=CHANNEL_PLACEHOLDER if proxy else "")
