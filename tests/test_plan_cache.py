"""A cached launch plan is reused only while everything it was built from is unchanged.

Each test makes one change that must alter the sandbox, between two launches in the same
workspace, and checks that the second launch obeys it. A stale plan would fail these.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
GUARD = str(Path(sys.executable).parent / "guard")


@pytest.fixture
def ws(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    env = {"HOME": str(home), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": os.environ["PATH"],
           "GUARD_TRACE_PLAN_CACHE": "1"}
    if os.environ.get("GUARD_DISABLE_PLUGINS"):
        env["GUARD_DISABLE_PLUGINS"] = os.environ["GUARD_DISABLE_PLUGINS"]

    def run(*cmd: str) -> subprocess.CompletedProcess:
        return subprocess.run([GUARD, "run", "--", *cmd], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=60)

    return workspace, home, run


def test_second_identical_launch_uses_the_cache(ws):
    workspace, _home, run = ws
    assert "plan cache miss" in run("true").stderr
    second = run("true")
    assert second.returncode == 0 and "plan cache miss" not in second.stderr


def test_credentials_created_after_caching_are_still_hidden(ws):
    _workspace, home, run = ws
    run("true")
    run("true")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("aws_secret_access_key = SECRET\n")
    result = run("cat", str(home / ".aws" / "credentials"))
    assert "SECRET" not in result.stdout
    assert "a file the plan depends on changed" in result.stderr


def test_a_new_nested_repository_is_protected_on_the_next_launch(ws):
    workspace, _home, run = ws
    run("true")
    run("true")
    nested = workspace / "vendor" / "lib"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(nested)], check=True)
    result = run("sh", "-c", "echo x > vendor/lib/.git/hooks/pre-commit")
    assert result.returncode != 0
    assert not (nested / ".git" / "hooks" / "pre-commit").exists()


def test_an_edited_policy_applies_on_the_next_launch(ws):
    workspace, _home, run = ws
    (workspace / "secret.txt").write_text("TOPSECRET\n")
    assert "TOPSECRET" in run("cat", "secret.txt").stdout
    assert "TOPSECRET" in run("cat", "secret.txt").stdout  # now from the cache
    (workspace / "sandbox.toml").write_text('version = 1\n[filesystem]\ndeny_read = ["secret.txt"]\n')
    assert "TOPSECRET" not in run("cat", "secret.txt").stdout


def test_a_changed_environment_is_filtered_afresh(ws, monkeypatch):
    workspace, home, run = ws
    run("true")
    run("true")
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "GITHUB_TOKEN": "ghp_" + "a" * 36,
           "XDG_STATE_HOME": str(home.parent / "state"), "XDG_CONFIG_HOME": str(home.parent / "config")}
    if os.environ.get("GUARD_DISABLE_PLUGINS"):
        env["GUARD_DISABLE_PLUGINS"] = os.environ["GUARD_DISABLE_PLUGINS"]
    result = subprocess.run([GUARD, "run", "--", "env"], cwd=workspace, env=env, capture_output=True, text=True)
    assert "ghp_" not in result.stdout and result.returncode == 0
