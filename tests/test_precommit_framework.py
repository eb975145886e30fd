"""The pre-commit framework runs guard's checks through this repository's .pre-commit-hooks.yaml.

pre-commit itself comes from the package index (``pip install pre-commit``, in the test
extras). The hooks are ``language: system``: nothing is downloaded, the installed ``guard``
runs. pre-commit needs a git repository and a revision to point at, so the hooks file is
copied into a throwaway repository and committed there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_gitguard_fixtures import env, git  # noqa: F401

HOOKS_FILE = Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

pytestmark = pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed (pip install pre-commit)")


@pytest.fixture
def project(tmp_path, env):
    hooks_repo = tmp_path / "hooks-repo"
    hooks_repo.mkdir()
    git(hooks_repo, "init", "-q", "-b", "main")
    shutil.copy(HOOKS_FILE, hooks_repo / ".pre-commit-hooks.yaml")
    git(hooks_repo, "add", "-A")
    git(hooks_repo, "commit", "-q", "-m", "hooks")
    rev = git(hooks_repo, "rev-parse", "HEAD").stdout.strip()

    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks_repo}\n  rev: {rev}\n  hooks:\n"
        "  - id: guard-pre-commit\n  - id: guard-pre-push\n  - id: guard-post-checkout\n")
    (repo / "sandbox.toml").write_text('version = 1\n[network]\nallow = ["pypi.org"]\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    os.environ["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-cache")
    installed = subprocess.run([str(PRE_COMMIT), "install", "-t", "pre-commit", "-t", "pre-push",
                                "-t", "post-checkout"], cwd=repo, capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return repo


def commit(repo: Path, name: str, text: str) -> subprocess.CompletedProcess:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    git(repo, "add", "--", name)
    return git(repo, "commit", "-m", f"add {name}", check=False)


def test_framework_lets_ordinary_commits_through(project):
    result = commit(project, "src/app.py", "print('hello')\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "guard (policy widening, protected files, secrets)" in result.stdout + result.stderr


def test_framework_refuses_token_widening_and_protected_files(project):
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    result = commit(project, "config.py", f"TOKEN = '{token}'\n")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "config.py:1: looks like a GitHub token" in output
    assert token not in output
    git(project, "reset", "-q", "--hard")

    result = commit(project, "sandbox.toml", 'version = 1\n[network]\nallow = ["pypi.org", "*.evil.example"]\n')
    assert result.returncode != 0
    assert "new allowed domain '*.evil.example'" in result.stdout + result.stderr
    git(project, "reset", "-q", "--hard")

    # pre-commit runs the hooks of the *staged* config: an edit that removes guard's hooks
    # disables them for that very commit (the installed shims of `guard hooks install` do not
    # have this gap); an edit that keeps them is refused.
    config = (project / ".pre-commit-config.yaml").read_text()
    result = commit(project, ".pre-commit-config.yaml", config + "# sneaky edit\n")
    assert result.returncode != 0
    assert ".pre-commit-config.yaml: always protected" in result.stdout + result.stderr


def test_framework_runs_the_push_rules(tmp_path, project):
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(project, "remote", "add", "origin", str(bare))
    refused = git(project, "push", "origin", "main", check=False)
    assert refused.returncode != 0
    assert "branch 'main' is protected" in refused.stdout + refused.stderr
    git(project, "switch", "-q", "-c", "feature")
    assert commit(project, "a.txt", "a\n").returncode == 0
    pushed = git(project, "push", "origin", "feature", check=False)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr


def test_framework_post_checkout_shows_policy_changes(project):
    git(project, "switch", "-q", "-c", "wider")
    (project / "sandbox.toml").write_text('version = 1\n[network]\nallow = ["pypi.org", "x.example"]\n')
    git(project, "commit", "-q", "--no-verify", "-am", "wider")
    result = git(project, "switch", "main")
    assert "tightening network.allow: allowed domain 'x.example' removed" in result.stdout + result.stderr
