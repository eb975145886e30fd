"""``guard creds`` end to end: where the secret may come from, where it may be printed."""

from __future__ import annotations

import io
import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest
from keyring_fixtures import memory_keyring  # noqa: F401 - fixture

from guard.broker.keyring_store import SERVICE
from guard.cli import main

TOKEN = "ghp_cliToken0123456789abcdefABCDEF"
TESTS = str(Path(__file__).parent)


def guard(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_set_reads_one_line_from_stdin_and_get_prints_it_to_a_pipe(memory_keyring, monkeypatch, capsys):  # noqa: F811
    status, out, err = guard(monkeypatch, capsys, "creds", "set", "GitHub.com", stdin=TOKEN + "\n")
    assert status == 0 and "stored the token for github.com" in err
    assert memory_keyring.items[(SERVICE, "github.com")] == TOKEN
    assert TOKEN not in out + err
    assert guard(monkeypatch, capsys, "creds", "get", "github.com") == (0, TOKEN + "\n", "")
    assert guard(monkeypatch, capsys, "creds", "list")[1] == "github.com\n"


@pytest.mark.parametrize("argv", [
    ["creds", "set", "github.com", TOKEN],
    ["creds", "set", "github.com", "--token", TOKEN],
    ["creds", "set", f"--password={TOKEN}", "github.com"],
    ["creds", "set", "--token", TOKEN, "github.com"],
    ["creds", "set", "github.com", "--", TOKEN],
    ["creds", "set", TOKEN],
])
def test_set_never_takes_the_secret_from_argv_and_never_echoes_it(memory_keyring, monkeypatch, capsys, argv):  # noqa: F811
    status, out, err = guard(monkeypatch, capsys, *argv, stdin="from-stdin-token\n")
    assert status == 2
    assert TOKEN not in out + err
    assert "revoke" in err
    assert memory_keyring.items == {}


def test_secret_with_a_line_break_or_nothing_at_all_is_refused(memory_keyring, monkeypatch, capsys):  # noqa: F811
    for stdin, says in (("tok\nen\n", "control character"), ("\n", "empty"), ("tok\rX\n", "control"),
                        (" tok\n", "whitespace"), ("x" * 20000, "longer than")):
        status, _, err = guard(monkeypatch, capsys, "creds", "set", "github.com", stdin=stdin)
        assert status == 2 and says in err and "nothing was stored" in err
    assert memory_keyring.items == {}


def test_username_and_protocol_are_kept_as_non_secret_metadata(memory_keyring, monkeypatch, capsys):  # noqa: F811
    status, _, err = guard(monkeypatch, capsys, "creds", "set", "git.lan:8080", "--username", "ci",
                           "--protocol", "http", stdin="tok\n")
    assert status == 0, err
    from guard.broker.keyring_store import KeyringStore

    found = KeyringStore().get("git.lan:8080")
    assert (found.username, found.protocol, found.secret) == ("ci", "http", "tok")


def test_missing_token_exits_1_and_locked_keyring_exits_125_saying_locked(memory_keyring, monkeypatch, capsys):  # noqa: F811
    status, out, err = guard(monkeypatch, capsys, "creds", "get", "github.com")
    assert (status, out) == (1, "") and "no token stored for github.com" in err
    assert guard(monkeypatch, capsys, "creds", "rm", "github.com")[0] == 1
    guard(monkeypatch, capsys, "creds", "set", "github.com", stdin=TOKEN)
    memory_keyring.locked = True
    for action in ("get", "rm", "list", "set"):
        argv = ["creds", action] + ([] if action == "list" else ["github.com"])
        status, out, err = guard(monkeypatch, capsys, *argv, stdin="new-token\n")
        assert status == 125 and "locked" in err and "no token" not in err, (action, err)
    memory_keyring.locked = False
    assert memory_keyring.items[(SERVICE, "github.com")] == TOKEN


def test_invalid_host_is_refused_by_name(memory_keyring, monkeypatch, capsys):  # noqa: F811
    for host in ("https://github.com", "github.com/x", "*.github.com", "gith ub.com", "github.com:99999"):
        status, _, err = guard(monkeypatch, capsys, "creds", "get", host)
        assert status == 2 and "HOST" in err, host


# -- subprocesses: backend detection and the terminal ------------------------------------------

def subprocess_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "GUARD_"))}
    env["PYTHONPATH"] = os.pathsep.join([TESTS, *sys.path])
    env.update(extra)
    return env


@pytest.mark.parametrize("backend, says", [
    ("keyring.backends.fail.Keyring", "keyring.backends.fail.Keyring"),
    ("keyring.backends.null.Keyring", "keyring.backends.null.Keyring"),
    ("keyring_fixtures.PlaintextKeyring", "plaintext file"),
])
def test_unsafe_backend_is_refused_before_the_secret_is_read(backend, says):
    import subprocess

    done = subprocess.run([sys.executable, "-m", "guard", "creds", "set", "github.com"], input=TOKEN,
                          capture_output=True, text=True, env=subprocess_env(PYTHON_KEYRING_BACKEND=backend))
    assert done.returncode == 125
    assert says in done.stderr and "fix:" in done.stderr and "--store file" in done.stderr


def run_in_terminal(argv, env, answers=()):
    """Run guard with a pty as its controlling terminal; answer each prompt in turn."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(sys.executable, [sys.executable, "-m", "guard", *argv], env)
    output, pending = b"", list(answers)
    deadline = time.monotonic() + 120  # only so a hung child cannot hang the suite
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if pending and output.rstrip().endswith(pending[0][0].encode()):
            os.write(fd, pending.pop(0)[1].encode() + b"\n")
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_prompt_hides_the_secret_and_get_does_not_print_it_on_a_terminal(tmp_path):
    env = subprocess_env(GUARD_CREDS_FILE=str(tmp_path / "creds.enc"),
                         GUARD_CREDS_PASSPHRASE="a passphrase for the test", GUARD_CREDS_STORE="file")
    status, screen = run_in_terminal(["creds", "set", "github.com"], env, [("(input hidden):", TOKEN)])
    assert status == 0, screen
    assert "Token for github.com" in screen and TOKEN not in screen  # no echo
    status, screen = run_in_terminal(["creds", "get", "github.com"], env)
    assert status == 0 and TOKEN not in screen and "--show" in screen
    status, screen = run_in_terminal(["creds", "get", "--show", "github.com"], env)
    assert status == 0 and TOKEN in screen
