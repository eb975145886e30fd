"""Credentials on the host must be unreadable inside: by path, by symlink, by /proc, by keyring."""

from __future__ import annotations

import os
import platform

import pytest
from sandbox_fixtures import AWS_MARKER, SSH_KEY_MARKER

pytestmark = pytest.mark.bwrap


def assert_no_secret(result, *markers: str) -> None:
    for marker in markers:
        assert marker not in result.stdout and marker not in result.stderr, "secret leaked into the sandbox"


def test_ssh_key_is_unreadable_directly(sandbox):
    result = sandbox.sh('cat "$HOME/.ssh/id_ed25519"; ls -la "$HOME/.ssh"')
    assert_no_secret(result, SSH_KEY_MARKER)
    assert "id_ed25519" not in result.stdout  # the folder is hidden, not just the file


def test_aws_credentials_are_unreadable(sandbox):
    result = sandbox.sh('cat "$HOME/.aws/credentials"')
    assert_no_secret(result, AWS_MARKER)


def test_ssh_key_is_unreadable_through_a_new_symlink(sandbox):
    result = sandbox.sh(f'ln -s "$HOME/.ssh/id_ed25519" k && cat k; ln -s "$HOME/.ssh" d && cat d/id_ed25519')
    assert_no_secret(result, SSH_KEY_MARKER)


def test_ssh_key_is_unreadable_through_a_planted_symlink(sandbox):
    sandbox.symlink(sandbox.workspace / "planted-key", sandbox.home / ".ssh/id_ed25519")
    sandbox.symlink(sandbox.workspace / "planted-dir", sandbox.home / ".ssh")
    sandbox.symlink(sandbox.workspace / "planted-home", sandbox.home)
    result = sandbox.sh("cat planted-key; cat planted-dir/id_ed25519; cat planted-home/.ssh/id_ed25519")
    assert_no_secret(result, SSH_KEY_MARKER)


def test_ssh_key_is_unreadable_through_proc_self_root(sandbox):
    result = sandbox.sh('cat "/proc/self/root$HOME/.ssh/id_ed25519"; cat "/proc/1/root$HOME/.ssh/id_ed25519"; '
                        'cd /proc/self/cwd/.. && cat "home/.ssh/id_ed25519"')
    assert_no_secret(result, SSH_KEY_MARKER)


def test_symlinked_ssh_folder_is_hidden_where_it_really_lives(sandbox):
    real = sandbox.base / "keys-elsewhere"
    (sandbox.home / ".ssh").rename(real)
    sandbox.symlink(sandbox.home / ".ssh", real)
    result = sandbox.sh(f'cat "$HOME/.ssh/id_ed25519"; cat {real}/id_ed25519')
    assert_no_secret(result, SSH_KEY_MARKER)


def test_gh_token_under_xdg_config_home_is_unreadable(sandbox):
    """gh, hub, gcloud and git follow $XDG_CONFIG_HOME: the built-in list must too."""
    config = sandbox.base / "config"
    sandbox.write("gh/hosts.yml", "github.com:\n  oauth_token: gho_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE01\n", root=config)
    sandbox.write("git/credentials", "https://u:FAKEGITCRED42@github.com\n", root=config)
    result = sandbox.sh(f"cat {config}/gh/hosts.yml {config}/git/credentials")
    assert_no_secret(result, "gho_FAKEFAKE", "FAKEGITCRED42")


def test_guard_state_folder_is_unreadable_under_xdg_state_home(sandbox):
    """The state folder holds trust hashes and the encrypted credential file, wherever
    XDG_STATE_HOME puts it."""
    sandbox.trust()
    state = sandbox.base / "state" / "guard"
    assert (state / "trust.json").exists()
    result = sandbox.sh(f"cat {state}/trust.json")
    assert "sandbox.toml" not in result.stdout


def test_workspace_dotenv_is_unreadable_with_deny_read(sandbox):
    sandbox.write(".env", "DB_PASSWORD=FAKEDOTENV99\n")
    sandbox.write("services/api/.env", "API_KEY=FAKEDOTENV77\n")
    sandbox.policy('[filesystem]\ndeny_read = [".env"]\n')  # tightening: applies without trust
    result = sandbox.sh("cat .env services/api/.env; cp .env copy; ln -s .env l && cat l; cat copy")
    assert_no_secret(result, "FAKEDOTENV99", "FAKEDOTENV77")


def test_deny_read_of_a_missing_file_leaves_no_placeholder(sandbox):
    sandbox.policy('[filesystem]\ndeny_read = ["secrets.json", "~/.config/app/token"]\n')
    before = sorted(os.listdir(sandbox.workspace))
    assert sandbox.sh("true").returncode == 0
    assert sorted(os.listdir(sandbox.workspace)) == before
    assert not (sandbox.home / ".config/app").exists()


def test_deny_read_folder_outside_the_workspace(sandbox):
    sandbox.write("private/notes.txt", "FAKENOTES55\n", root=sandbox.home)
    sandbox.policy('[filesystem]\ndeny_read = ["~/private"]\n')
    result = sandbox.sh('cat "$HOME/private/notes.txt"; ls "$HOME/private"')
    assert_no_secret(result, "FAKENOTES55")
    assert "notes.txt" not in result.stdout


def _keyring_available() -> bool:
    return platform.machine() == "x86_64"


@pytest.mark.skipif(not _keyring_available(), reason="the syscall numbers below are x86_64's")
def test_kernel_session_keyring_is_unreadable(sandbox):
    """Kerberos (KEYRING: ccache), ecryptfs and `keyctl` users keep secrets in the kernel
    keyring, which a process inherits across exec: a new user namespace does not cut it off."""
    wrapper = sandbox.write("addkey.py", """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
assert libc.syscall(250, 1, None) > 0            # KEYCTL_JOIN_SESSION_KEYRING: a fresh one
payload = b"FAKEKEYRINGSECRET31"
assert libc.syscall(248, b"user", b"guard-test", payload, len(payload), ctypes.c_long(-3)) > 0
os.execv(sys.argv[1], sys.argv[1:])
""", root=sandbox.outside)
    reader = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(256)
for ring in (-3, -4, -5):  # session, user, user-session keyrings
    key = libc.syscall(250, 10, ctypes.c_long(ring), b"user", b"guard-test", 0)  # KEYCTL_SEARCH
    if key > 0:
        n = libc.syscall(250, 11, key, buf, 256)                                # KEYCTL_READ
        print(buf.raw[:max(n, 0)].decode(errors="replace"))
"""
    result = sandbox.host("/usr/bin/python3", str(wrapper), *sandbox.guard_argv(
        "run", "--", "/usr/bin/python3", "-c", reader)[len(sandbox.identity.prefix):])
    assert result.returncode == 0, result.stderr
    assert_no_secret(result, "FAKEKEYRINGSECRET31")
