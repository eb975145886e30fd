"""pre-push: real pushes to a local bare repository through the installed shims."""

from __future__ import annotations

from guard.policy.trust import TrustStore
from test_gitguard_fixtures import BASE_POLICY, commit, env, git, guard, remote, repo  # noqa: F401

ZERO = "0" * 40


def set_policy(repo, extra: str, *, trusted: bool = True) -> None:
    """Commit a policy (the commit itself approved for the test) and trust it or not."""
    text = BASE_POLICY + extra
    policy = repo.resolve() / "sandbox.toml"
    policy.write_text(text)
    TrustStore().trust(policy, text.encode())
    git(repo, "commit", "-q", "-am", "policy")
    if not trusted:
        TrustStore().untrust(policy)


def push(repo, *args):
    return git(repo, "push", "origin", *args, check=False)


def test_ordinary_push_of_a_feature_branch_passes(repo, remote):
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, {"a.txt": "a\n"})
    result = push(repo, "feature")
    assert result.returncode == 0, result.stderr
    assert git(remote, "rev-parse", "feature").stdout == git(repo, "rev-parse", "feature").stdout


def test_default_branch_is_protected_unless_a_push_pattern_names_it(repo, remote):
    commit(repo, {"a.txt": "a\n"})
    result = push(repo, "main")
    assert result.returncode != 0
    assert "refs/heads/main: branch 'main' is protected" in result.stderr
    set_policy(repo, '\n[git]\npush = ["main", "agent/*"]\n')
    assert push(repo, "main").returncode == 0


def test_the_remotes_own_default_branch_is_protected_too(repo, remote):
    git(remote, "symbolic-ref", "HEAD", "refs/heads/trunk")
    git(repo, "push", "-q", "--no-verify", "origin", "main:trunk")
    git(repo, "fetch", "-q", "origin")
    git(repo, "remote", "set-head", "origin", "trunk")
    commit(repo, {"a.txt": "a\n"})
    result = push(repo, "main:trunk")
    assert result.returncode != 0 and "branch 'trunk' is protected" in result.stderr


def test_push_list_limits_branches_for_the_users_own_pushes(repo, remote):
    set_policy(repo, '\n[git]\npush = ["agent/*"]\n')
    git(repo, "switch", "-q", "-c", "feature")
    result = push(repo, "feature")
    assert result.returncode != 0
    assert "branch 'feature' matches no [git] push pattern (agent/*)" in result.stderr
    assert push(repo, "feature:agent/feature").returncode == 0


def test_explicit_switch_lets_a_person_push_a_protected_branch(repo, remote):
    import os
    import subprocess

    commit(repo, {"a.txt": "a\n"})
    result = subprocess.run(["git", "push", "origin", "main"], cwd=repo, capture_output=True, text=True,
                            env=dict(os.environ, GUARD_ALLOW_PROTECTED="1"))
    assert result.returncode == 0, result.stderr


def test_delete_is_refused_unless_allowed(repo, remote):
    git(repo, "push", "-q", "--no-verify", "origin", "main:agent/old")
    result = push(repo, "--delete", "agent/old")
    assert result.returncode != 0
    assert "refs/heads/agent/old: deleting a ref is not allowed" in result.stderr
    assert git(remote, "rev-parse", "--verify", "-q", "agent/old", check=False).returncode == 0
    set_policy(repo, '\n[git]\nallow_delete = true\n')
    assert push(repo, "--delete", "agent/old").returncode == 0


def test_force_push_is_refused_unless_allowed(repo, remote):
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, {"a.txt": "a\n"})
    assert push(repo, "feature").returncode == 0
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    result = push(repo, "--force", "feature")
    assert result.returncode != 0
    assert "forced update (not a fast-forward) is not allowed" in result.stderr
    # an untrusted policy cannot grant it: the widening entry is withheld
    set_policy(repo, '\n[git]\nallow_force_push = true\n', trusted=False)
    assert "forced update" in push(repo, "--force", "feature").stderr
    TrustStore().trust(repo.resolve() / "sandbox.toml", (repo / "sandbox.toml").read_bytes())
    result = push(repo, "--force", "feature")
    assert result.returncode == 0, result.stderr


def test_remote_host_must_be_listed_when_hosts_is_set(repo):
    set_policy(repo, '\n[git]\nhosts = ["github.com"]\n')
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    line = f"refs/heads/feature {head} refs/heads/feature {ZERO}\n"
    for url in ("https://gitlab.example/team/repo.git", "git@evil.example:team/repo.git",
                "ssh://git@EVIL.example:22/team/repo.git"):
        result = guard(repo, "hook", "pre-push", "origin", url, input=line)
        assert result.returncode == 1, url
        assert "which is not in [git] hosts (github.com)" in result.stderr
    result = guard(repo, "hook", "pre-push", "origin", "ext::sh -c evil", input=line)
    assert result.returncode == 1 and "cannot tell which host" in result.stderr
    for url in ("https://github.com/team/repo.git", "git@github.com:team/repo.git", "/srv/git/repo.git"):
        result = guard(repo, "hook", "pre-push", "origin", url, input=line)
        assert result.returncode == 0, (url, result.stderr)


def test_malformed_pre_push_input_is_refused(repo):
    result = guard(repo, "hook", "pre-push", "origin", "/tmp/x", input="refs/heads/a only-two\n")
    assert result.returncode == 2
    assert "expected 4 fields" in result.stderr
