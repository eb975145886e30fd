"""Shared fixtures for the git hook tests (imported by them; holds no tests itself).

Every test runs git and guard with HOME, XDG_* and git's global config in a temporary folder,
the system git config off and keyring's fail backend selected, so nothing of the user's
(trust store, keyring, git identity, hooks) is read or touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
GUARD = VENV_BIN / "guard"


@pytest.fixture
def env(tmp_path, monkeypatch) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.invalid\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    values = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GUARD_MANAGED_POLICY": str(tmp_path / "no-managed-policy.toml"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "LC_ALL": "C.UTF-8",
    }
    for name in list(os.environ):
        if name.startswith(("GIT_", "GUARD_", "PRE_COMMIT")):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


def git(cwd: Path, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def guard(cwd: Path, *args: str, input: str | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, **(extra_env or {}))
    return subprocess.run([str(GUARD), *args], cwd=cwd, capture_output=True, text=True, input=input, env=env)


def commit(repo: Path, files: dict[str, str], message: str = "change", *, extra_env=None) -> subprocess.CompletedProcess:
    """Write ``files``, stage them and run a real ``git commit`` (hooks included)."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(repo, "add", "--", name)
    env = dict(os.environ, **(extra_env or {}))
    return subprocess.run(["git", "commit", "-m", message], cwd=repo, capture_output=True, text=True, env=env)


BASE_POLICY = 'version = 1\n\n[network]\nallow = ["pypi.org"]\ndeny = ["gist.github.com"]\n'


@pytest.fixture
def repo(tmp_path, env) -> Path:
    """A repository with a committed sandbox.toml and guard's hooks installed."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "sandbox.toml").write_text(BASE_POLICY)
    (path / "README").write_text("hello\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    result = guard(path, "hooks", "install")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def remote(tmp_path, repo) -> Path:
    """A bare repository as ``origin``, with main pushed before any policy was in force."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "--no-verify", "origin", "main")
    return bare
