"""The launcher a Landlock plan runs: confine this process, then exec the user's command.

    python -I -S launch.py CHANNEL SPEC RULE... -- COMMAND...

CHANNEL is the fd of guard's socketpair when the command may use the egress proxy, else "-".
SPEC is JSON: handled rights, scopes, seccomp filters (hex), proxy variables. Each RULE is
``MASK:f|n:PATH`` (n: do not follow a final symlink). Everything was decided by the backend's
plan; this file only applies it, so ``guard explain`` shows exactly what will be enforced.
Standard library only; every failure exits 125 before the command runs.
"""

import json
import os
import socket
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out

import confine  # noqa: E402
import landlock  # noqa: E402


def fail(message: str) -> None:
    print(f"guard: landlock launcher: {message}; the command did not run", file=sys.stderr)
    sys.exit(125)


def hand_over_listener(fd: int) -> int:
    """Bind the proxy's listener on the host loopback, give it to guard, wait for the proxy.

    The port is picked by the kernel here, so no other process can race us for it."""
    channel = socket.socket(fileno=fd)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    socket.send_fds(channel, [b"L"], [listener.fileno()])
    ready = channel.recv(1)
    port = listener.getsockname()[1]
    listener.close()
    channel.close()
    if ready != b"G":
        fail("the egress proxy did not start")
    return port


def add_rules(ruleset: int, rules: list[str]) -> None:
    for rule in rules:
        mask_text, follow, path = rule.split(":", 2)
        flags = os.O_PATH | os.O_CLOEXEC | (0 if follow == "f" else os.O_NOFOLLOW)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            continue  # gone since planning: nothing to grant
        try:
            mask = int(mask_text)
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                mask &= landlock.FILE_RIGHTS  # the kernel rejects folder rights on a file
            if mask:
                landlock.add_path_rule(ruleset, mask, fd)
        finally:
            os.close(fd)


def main(argv: list[str]) -> None:
    try:
        channel, spec = argv[0], json.loads(argv[1])
        end = argv.index("--", 2)
    except (IndexError, ValueError):
        fail("malformed arguments")
    rules, command = argv[2:end], argv[end + 1:]
    if not command:
        fail("no command")
    try:
        port = hand_over_listener(int(channel)) if channel != "-" else None
        ruleset = landlock.create_ruleset(spec["fs"], spec["net"], spec["scoped"])
        add_rules(ruleset, rules)
        if spec["net"] and port is not None:  # the only TCP connect allowed: the proxy's port
            landlock.add_port_rule(ruleset, landlock.NET_CONNECT_TCP, port)
        for name, template in spec.get("proxy_env", {}).items():
            os.environ[name] = template.replace("{port}", str(port))
        confine.drop_capabilities()
        confine.no_new_privs()
        landlock.restrict_self(ruleset)
        os.close(ruleset)
        for program in spec["filters"]:
            confine.install_seccomp(bytes.fromhex(program))
    except OSError as exc:
        fail(str(exc))
    try:
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"guard: cannot run {command[0]}: {exc.strerror}", file=sys.stderr)
        sys.exit(127)


if __name__ == "__main__":
    main(sys.argv[1:])
