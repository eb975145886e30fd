"""The helper driven by the real git binary (``git credential fill/approve/reject``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
TOKEN = "ghp_gitHelperToken0123456789"


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "GUARD_", "GIT_"))}
    env.update(PYTHONPATH=os.pathsep.join(sys.path), HOME=str(tmp_path), GIT_TERMINAL_PROMPT="0",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"),
               GUARD_CREDS_STORE="file", GUARD_CREDS_FILE=str(tmp_path / "creds.enc"),
               GUARD_CREDS_PASSPHRASE="passphrase for the git test")
    return env


def git_credential(env, action, text):
    helper = f"!{sys.executable} -m guard credential"
    return subprocess.run(["git", "-c", "credential.helper=", "-c", f"credential.helper={helper}",
                           "credential", action], input=text, capture_output=True, text=True, env=env)


def guard(env, *argv, stdin=""):
    return subprocess.run([sys.executable, "-m", "guard", *argv], input=stdin, capture_output=True,
                          text=True, env=env)


def test_git_fill_gets_the_stored_token_for_the_exact_host_only(env):
    assert guard(env, "creds", "set", "github.com", stdin=TOKEN).returncode == 0
    fill = git_credential(env, "fill", "protocol=https\nhost=github.com\npath=owner/repo.git\n\n")
    assert fill.returncode == 0, fill.stderr
    assert f"password={TOKEN}" in fill.stdout.splitlines()
    for host in ("github.com.evil.net", "evil.com"):
        other = git_credential(env, "fill", f"protocol=https\nhost={host}\n\n")
        assert other.returncode != 0 and TOKEN not in other.stdout  # git found nothing to use


def test_git_fill_over_http_gets_nothing(env):
    guard(env, "creds", "set", "github.com", stdin=TOKEN)
    fill = git_credential(env, "fill", "protocol=http\nhost=github.com\n\n")
    assert TOKEN not in fill.stdout


def test_git_approve_stores_and_reject_erases_through_the_helper(env):
    approve = git_credential(env, "approve", "protocol=https\nhost=git.example.com\nusername=alice\n"
                                             "password=typed-password\n\n")
    assert approve.returncode == 0, approve.stderr
    got = guard(env, "creds", "get", "git.example.com")
    assert got.stdout == "typed-password\n"
    git_credential(env, "reject", "protocol=https\nhost=git.example.com\nusername=alice\n"
                                  "password=some-older-password\n\n")
    assert guard(env, "creds", "get", "git.example.com").returncode == 0  # not that token: kept
    git_credential(env, "reject", "protocol=https\nhost=git.example.com\nusername=alice\n"
                                  "password=typed-password\n\n")
    assert guard(env, "creds", "get", "git.example.com").returncode == 1


def test_helper_refuses_injected_input_with_nothing_on_stdout(env):
    guard(env, "creds", "set", "github.com", stdin=TOKEN)
    for text in ("protocol=https\nhost=evil.com\nhost=github.com\n",
                 "protocol=https\nhost=github.com\x00.evil.com\n",
                 "url=https://evil.com%0ahost=github.com\n"):
        done = subprocess.run([sys.executable, "-m", "guard", "credential", "get"], input=text.encode(),
                              capture_output=True, env=env)
        assert done.returncode == 2 and done.stdout == b"", text
        assert b"guard:" in done.stderr


def test_unknown_verb_exits_0_silently(env):
    done = subprocess.run([sys.executable, "-m", "guard", "credential", "frobnicate"],
                          input=b"protocol=https\nhost=github.com\n", capture_output=True, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
