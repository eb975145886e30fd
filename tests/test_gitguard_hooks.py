"""Black-box tests: real repositories, real `git commit` / `git push` / `git checkout`, and the
real `guard` command run by the installed shims."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from guard.policy.trust import TrustStore
from test_gitguard_fixtures import BASE_POLICY, commit, env, git, guard, remote, repo  # noqa: F401

HOOK_NAMES = ("pre-commit", "pre-push", "post-checkout", "post-merge")
EVIL_POLICY = BASE_POLICY.replace('allow = ["pypi.org"]', 'allow = ["pypi.org", "*.evil.example"]')


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def trust(repo: Path) -> None:
    """What `guard trust` records: the hash of the working tree's sandbox.toml."""
    policy = repo.resolve() / "sandbox.toml"
    TrustStore().trust(policy, policy.read_bytes())


# -- install ----------------------------------------------------------------------------------

def test_install_writes_executable_shims_that_call_guard_hook(repo):
    for name in HOOK_NAMES:
        shim = hooks_dir(repo) / name
        assert shim.stat().st_mode & stat.S_IXUSR
        text = shim.read_text()
        assert text.startswith("#!/bin/sh\n")
        assert f'hook --chain "$0.pre-guard" {name} "$@"' in text
        assert str(Path(os.environ["PATH"].split(os.pathsep)[0]) / "guard") in text


def test_installing_twice_is_harmless(repo):
    before = {p.name: p.read_bytes() for p in hooks_dir(repo).iterdir()}
    result = guard(repo, "hooks", "install")
    assert result.returncode == 0, result.stderr
    assert "updated guard's shim" in result.stdout
    after = {p.name: p.read_bytes() for p in hooks_dir(repo).iterdir()}
    assert after == before  # no .pre-guard copy of our own shim, nothing else changed
    assert commit(repo, {"a.txt": "a\n"}).returncode == 0


def test_existing_hooks_are_kept_and_still_run_with_stdin(tmp_path, env, remote):
    repo = remote.parent / "repo"
    log = tmp_path / "log"
    for name in ("pre-commit", "pre-push"):
        (hooks_dir(repo) / name).unlink()
        hook = hooks_dir(repo) / name
        hook.write_text(f'#!/bin/sh\necho "{name} ran with $*" >> {log}\ncat >> {log}\n')
        hook.chmod(0o755)
    result = guard(repo, "hooks", "install")
    assert result.returncode == 0, result.stderr
    assert "kept as pre-commit.pre-guard" in result.stdout
    assert (hooks_dir(repo) / "pre-push.pre-guard").exists()

    assert commit(repo, {"a.txt": "a\n"}).returncode == 0
    git(repo, "switch", "-q", "-c", "feature")
    assert commit(repo, {"b.txt": "b\n"}).returncode == 0
    push = git(repo, "push", "origin", "feature", check=False)
    assert push.returncode == 0, push.stderr
    text = log.read_text()
    assert text.count("pre-commit ran") == 2
    # the chained pre-push hook got git's arguments and the ref lines on stdin
    assert f"pre-push ran with origin {remote}" in text
    assert "refs/heads/feature" in text


def test_failing_existing_hook_still_refuses(repo):
    (hooks_dir(repo) / "pre-commit.pre-guard").write_text("#!/bin/sh\necho lint failed >&2\nexit 3\n")
    (hooks_dir(repo) / "pre-commit.pre-guard").chmod(0o755)
    result = commit(repo, {"a.txt": "a\n"})
    assert result.returncode != 0
    assert "lint failed" in result.stderr


def test_install_refuses_to_overwrite_two_foreign_hooks_without_force(repo):
    (hooks_dir(repo) / "pre-push").write_text("#!/bin/sh\nexit 0\n")
    (hooks_dir(repo) / "pre-push.pre-guard").write_text("#!/bin/sh\nexit 0\n")
    before = {p.name: p.read_bytes() for p in hooks_dir(repo).iterdir()}
    result = guard(repo, "hooks", "install")
    assert result.returncode == 125
    assert "not overwriting" in result.stderr
    assert {p.name: p.read_bytes() for p in hooks_dir(repo).iterdir()} == before
    forced = guard(repo, "hooks", "install", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (hooks_dir(repo) / "pre-push.guard-replaced").read_text() == "#!/bin/sh\nexit 0\n"
    assert "guard-hook-shim" in (hooks_dir(repo) / "pre-push").read_text()


def test_install_warns_and_fails_when_core_hookspath_is_set(repo):
    git(repo, "config", "core.hooksPath", "tools/hooks")
    result = guard(repo, "hooks", "install")
    assert result.returncode == 1
    assert "core.hooksPath is set to 'tools/hooks'" in result.stderr
    assert not (repo / "tools").exists()  # never writes into a working-tree folder


def test_install_from_a_linked_worktree_uses_the_shared_hooks_folder(tmp_path, repo):
    tree = tmp_path / "tree"
    git(repo, "worktree", "add", "-q", "-b", "side", str(tree))
    (hooks_dir(repo) / "pre-commit").unlink()
    result = guard(tree, "hooks", "install")
    assert result.returncode == 0, result.stderr
    assert (hooks_dir(repo) / "pre-commit").exists()
    refused = commit(tree, {".mcp.json": "{}\n"})
    assert refused.returncode != 0 and ".mcp.json" in refused.stderr


# -- pre-commit -------------------------------------------------------------------------------

def test_ordinary_commit_and_tightening_policy_change_pass(repo):
    assert commit(repo, {"src/app.py": "print('hi')\n"}).returncode == 0
    tighter = BASE_POLICY + '\n[filesystem]\ndeny_read = [".env"]\n'
    result = commit(repo, {"sandbox.toml": tighter})
    assert result.returncode == 0, result.stderr


def test_commit_adding_evil_domain_is_refused_in_words_until_trusted(repo):
    result = commit(repo, {"sandbox.toml": EVIL_POLICY})
    assert result.returncode != 0
    assert "WIDENING   network.allow: new allowed domain '*.evil.example' (sandbox.toml:4)" in result.stderr
    assert "guard trust" in result.stderr
    assert git(repo, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    trusted = guard(repo, "trust")  # the real command, as the user would run it
    assert trusted.returncode == 0, trusted.stderr
    result = commit(repo, {"sandbox.toml": EVIL_POLICY})
    assert result.returncode == 0, result.stderr


def test_trusting_the_working_tree_does_not_approve_different_staged_content(repo):
    (repo / "sandbox.toml").write_text(EVIL_POLICY)
    git(repo, "add", "sandbox.toml")
    (repo / "sandbox.toml").write_text(EVIL_POLICY + "# edited after staging\n")
    trust(repo)
    result = git(repo, "commit", "-m", "x", check=False)
    assert result.returncode != 0 and "WIDENING" in result.stderr


def test_deleting_the_policy_counts_as_widening(repo):
    git(repo, "rm", "-q", "sandbox.toml")
    result = git(repo, "commit", "-m", "drop policy", check=False)
    assert result.returncode != 0
    assert "removed domain denial 'gist.github.com'" in result.stderr


def test_invalid_staged_policy_is_refused_with_its_position(repo):
    result = commit(repo, {"sandbox.toml": 'version = 1\n[network]\nallow = ["*"]\n'})
    assert result.returncode != 0
    assert ":sandbox.toml (staged):3:" in result.stderr


def test_protected_files_are_refused_at_any_depth_unless_switched_on(repo):
    for name in (".claude/settings.json", "sub/.vscode/tasks.json", ".pre-commit-config.yaml",
                 ".VSCode/settings.json", "pkg/sandbox.toml"):
        result = commit(repo, {name: "{}\n"})
        assert result.returncode != 0, name
        assert f"{name}: always protected" in result.stderr
        git(repo, "reset", "-q")
    result = commit(repo, {".claude/settings.json": "{}\n"}, extra_env={"GUARD_ALLOW_PROTECTED": "1"})
    assert result.returncode == 0, result.stderr
    # deleting one is a change too
    git(repo, "rm", "-q", ".claude/settings.json")
    assert git(repo, "commit", "-m", "rm", check=False).returncode != 0


def test_private_key_and_token_shaped_strings_are_refused(repo):
    key = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    result = commit(repo, {"deploy/id_ed25519": key})
    assert result.returncode != 0
    assert "deploy/id_ed25519:1: private key block" in result.stderr
    git(repo, "reset", "-q")
    token = "glpat-" + "Ab3dEf6hIj9kLm2nOp5q"
    result = commit(repo, {"ci.yml": f"x: 1\ntoken: {token}\n"})
    assert result.returncode != 0
    assert "ci.yml:2: looks like a GitLab token" in result.stderr
    assert token not in result.stderr + result.stdout


def test_marked_documentation_example_passes_but_a_private_key_cannot_be_marked(repo):
    token = "ghp_" + "0123456789abcdefABCDEF0123456789abcd"
    assert commit(repo, {"docs.md": f"e.g. {token}  <!-- guard:allow-secret -->\n"}).returncode == 0
    key = "-----BEGIN RSA " + "PRIVATE KEY----- guard:allow-secret\n"
    assert commit(repo, {"k.pem": key}).returncode != 0


def test_stored_token_is_refused_without_ever_being_printed(tmp_path, repo):
    from guard.broker.file_store import FileStore
    from guard.broker.store import Credential

    secret = "s3cr3t-" + "Q7w9e8r7t6y5u4i3o2p1"  # no known token format: only the store knows it
    store_file = tmp_path / "creds.enc"
    FileStore(store_file, passphrase=lambda new: "correct horse battery").set(Credential("git.example.com", secret))
    store_env = {"GUARD_CREDS_STORE": "file", "GUARD_CREDS_FILE": str(store_file),
                 "GUARD_CREDS_PASSPHRASE": "correct horse battery"}
    result = commit(repo, {"notes.txt": f"one\nremember {secret} for later\n"}, extra_env=store_env)
    assert result.returncode != 0
    assert "notes.txt:2: matches the stored token for git.example.com" in result.stderr
    assert secret not in result.stdout + result.stderr
    assert secret[7:] not in result.stdout + result.stderr  # not even the tail
    # without the store the same line is unremarkable: the finding came from the store
    assert commit(repo, {"notes.txt": f"one\nremember {secret} for later\n"}).returncode == 0


def test_commit_all_and_partial_commits_are_checked_through_gits_temporary_index(repo):
    (repo / "sandbox.toml").write_text(EVIL_POLICY)  # modified, never staged by hand
    for args in (["commit", "-a", "-m", "all"], ["commit", "-m", "only", "--", "sandbox.toml"]):
        result = git(repo, *args, check=False)
        assert result.returncode != 0, args
        assert "new allowed domain '*.evil.example'" in result.stderr



def test_install_that_cannot_write_fails_with_a_clear_message(repo):
    import shutil

    shutil.rmtree(hooks_dir(repo))
    hooks_dir(repo).write_text("not a folder\n")  # as unwritable as a read-only mount, even for root
    result = guard(repo, "hooks", "install")
    assert result.returncode == 125
    assert "cannot write hooks in" in result.stderr
    assert "Traceback" not in result.stderr
