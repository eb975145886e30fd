"""Execute a LaunchPlan: placeholders in, process up, signals forwarded, status out.

Exit status is the command's; a signal death becomes 128+N; 125 when the sandbox could not
start. SIGINT, SIGTERM, SIGHUP and SIGQUIT reach the sandboxed command's process group (it
runs in its own session, so the terminal cannot deliver them, and bwrap would not forward them).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from guard.errors import EXIT_GUARD_FAILED, GuardError

TYPE_CHECKING = False  # not typing's: importing typing costs ~4 ms on the hot path
if TYPE_CHECKING:  # the cached-plan hot path must not import the planner either
    from guard.launch import LaunchPlan

_OWN_PROCESS_GROUP = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Placeholders:
    """Read-only stand-ins for protected names that do not exist yet.

    Each is recorded in the workspace session's ledger; the session removes them when the last
    launch in the workspace ends (see guard.session), never while another launch relies on them.
    """

    def __init__(self, wanted: list[tuple[Path, str]], session=None) -> None:
        self.wanted = wanted
        self.session = session
        self.created: list[tuple[Path, str, int]] = []

    def __enter__(self) -> Placeholders:
        for path, kind in self.wanted:
            try:
                if kind in ("dir", "tmpdir"):
                    path.mkdir(mode=0o755 if kind == "dir" else 0o700)
                else:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o644))
            except FileExistsError:
                continue  # appeared meanwhile: the same mount still protects it
            except OSError as exc:
                self.__exit__()
                raise GuardError(f"cannot create placeholder {path}: {exc.strerror}") from None
            self.created.append((path, kind, os.lstat(path).st_ino))
            if self.session is not None:
                self.session.record(path, kind)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.session is None or self.session.fd is None:  # no session: clean up at once
            from guard.session import remove_placeholder

            for path, kind, ino in reversed(self.created):
                remove_placeholder(path, kind, ino)
        self.created.clear()


class _Status:
    """Reads bwrap's --json-status-fd: the child's pid, then its exit code."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.text = ""
        os.set_blocking(fd, False)

    def poll(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                return
            if not chunk:
                return
            self.text += chunk.decode(errors="replace")

    def child_pid(self) -> int | None:
        self.poll()
        m = re.search(r'"child-pid"\s*:\s*(\d+)', self.text)
        return int(m.group(1)) if m else None

    def command_group(self) -> int | None:
        """Host pid of the command: bwrap's init is pid 1 of the namespace, the command its child."""
        init = self.child_pid()
        if init is None:
            return None
        try:
            children = Path(f"/proc/{init}/task/{init}/children").read_text().split()
        except OSError:
            children = []
        return int(children[0]) if children else init


def _memfd(data: bytes) -> int:
    fd = os.memfd_create("guard-seccomp", 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _receive_listener(channel, proc) -> object | None:
    """The listening socket the in-sandbox step created, or None when the sandbox died first."""
    import socket

    channel.settimeout(60)
    try:
        _msg, fds, _flags, _addr = socket.recv_fds(channel, 1, 1)
    except OSError:
        return None
    if not fds:
        return None
    return socket.socket(fileno=fds[0])


def execute(plan: LaunchPlan, serve_proxy=None, session=None) -> int:
    """Run the plan. ``serve_proxy(listener)`` starts the egress proxy and returns an object
    with ``stop()``; it is required when ``plan.proxy`` is set."""
    argv = list(plan.argv)
    keep: list[int] = []
    status = None
    channel = None
    if plan.proxy:
        import socket

        channel, inside = socket.socketpair()
        keep.append(inside.detach())
        argv = [str(keep[-1]) if a == plan.channel_placeholder else a for a in argv]
    if plan.status_fd:
        read_fd, write_fd = os.pipe()
        keep.append(write_fd)
        argv[1:1] = ["--json-status-fd", str(write_fd)]
        status = _Status(read_fd)
    if plan.seccomp is not None:
        filter_fd = _memfd(plan.seccomp)
        keep.append(filter_fd)
        argv[1:1] = ["--seccomp", str(filter_fd)]
    with Placeholders(plan.placeholders, session):
        try:
            proc = subprocess.Popen(argv, env=plan.env, pass_fds=tuple(keep), **_OWN_PROCESS_GROUP)
        except FileNotFoundError:
            raise GuardError(f"{argv[0]} not found", hint="run `guard doctor`") from None
        finally:
            for fd in keep:
                os.close(fd)
        proxy = None
        if channel is not None:
            listener = _receive_listener(channel, proc)
            if listener is not None:
                try:
                    proxy = serve_proxy(listener)
                except Exception:
                    channel.close()  # the command never starts: the step exits on EOF
                    proc.wait()
                    raise
                channel.sendall(b"G")
            channel.close()

        def forward(signum, _frame):
            command = status.command_group() if status else None
            try:
                if command is None:
                    proc.send_signal(signum)
                    return
                try:  # the command's process group (bwrap's init, pid 1 inside, ignores it)
                    os.killpg(os.getpgid(command), signum)
                except ProcessLookupError:
                    os.kill(command, signum)
            except (ProcessLookupError, PermissionError):
                pass

        previous = {s: signal.signal(s, forward) for s in FORWARDED}
        try:
            code = proc.wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            if proxy is not None:
                proxy.stop()
    if status is not None:
        started = status.child_pid() is not None
        os.close(status.fd)
        if not started:  # bwrap failed before the command ran: that is guard's failure
            print(f"guard: the sandbox could not start ({plan.backend} exited with {code}); "
                  "run `guard doctor` for the fix", file=sys.stderr)
            return EXIT_GUARD_FAILED
    return 128 - code if code < 0 else code
