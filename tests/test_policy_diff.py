"""guard policy diff: each kind of change in words, marked widening or tightening."""

from __future__ import annotations

import pytest

from guard.errors import PolicyError
from guard.gitguard.policydiff import diff_layers, parse_side
from test_gitguard_fixtures import env, git, guard  # noqa: F401


def diff(old: str | None, new: str | None):
    as_side = lambda text, label: parse_side(None if text is None else ("version = 1\n" + text).encode(), label)  # noqa: E731
    return [(c.key, c.widening, c.words) for c in diff_layers(as_side(old, "old"), as_side(new, "new"))]


@pytest.mark.parametrize("table, key, value, added_widens", [
    ("filesystem", "allow_write", "~/.cache/pip", True),
    ("filesystem", "allow_read", "~/.ssh/known_hosts", True),
    ("filesystem", "deny_write", "data/raw/**", False),
    ("filesystem", "deny_read", ".env", False),
    ("network", "allow", "*.evil.example", True),
    ("network", "deny", "gist.github.com", False),
    ("network", "allow_local", "127.0.0.1:5432", True),
    ("git", "hosts", "github.com", True),
    ("git", "push", "agent/*", True),
    ("env", "pass", "CI", True),
])
def test_list_entries_widen_or_tighten_by_key_and_direction(table, key, value, added_widens):
    line = f'[{table}]\n{key} = ["{value}"]\n'
    [(dotted, widening, words)] = diff("", line)
    assert (dotted, widening) == (f"{table}.{key}", added_widens)
    assert repr(value) in words
    [(dotted, widening, words)] = diff(line, "")
    assert (dotted, widening) == (f"{table}.{key}", not added_widens)


def test_the_words_say_what_changed():
    changes = diff('[network]\ndeny = ["gist.github.com"]\n',
                   '[network]\nallow = ["*.evil.example"]\nallow_local = ["10.0.0.0/8"]\n')
    assert ("network.allow", True, "new allowed domain '*.evil.example'") in changes
    assert ("network.deny", True, "removed domain denial 'gist.github.com'") in changes
    assert any(k == "network.allow_local" and w and "10.0.0.0/8" in t for k, w, t in changes)


@pytest.mark.parametrize("old, new, widens", [
    (None, True, True), (False, None, True), (False, True, True),
    (True, None, False), (None, False, False), (True, False, False),
])
def test_push_flags_compare_allowed_inherited_and_forbidden(old, new, widens):
    as_toml = lambda v: "" if v is None else f"[git]\nallow_force_push = {str(v).lower()}\n"  # noqa: E731
    [(key, widening, words)] = diff(as_toml(old), as_toml(new))
    assert key == "git.allow_force_push" and widening is widens and "force pushes" in words


def test_env_set_and_backend_changes():
    changes = diff('[env]\nset = { A = "1", B = "2" }\n[backend]\nlinux = "bwrap"\n',
                   '[env]\nset = { A = "1", B = "3", C = "4" }\n[backend]\nlinux = "none"\n')
    assert ("env.set", True, "variable B changed from '2' to '3'") in changes
    assert ("env.set", True, "variable C now set to '4' in the sandbox") in changes
    assert ("backend.linux", True, "linux backend set to 'none' (was 'bwrap')") in changes
    assert not any(k == "env.set" and "A" in t for k, _, t in changes)


def test_reordering_and_comments_are_not_changes():
    assert diff('[network]\nallow = ["a.example", "b.example"]\n',
                '# comment\n[network]\nallow = [\n  "b.example",\n  "a.example",\n]\n') == []


def test_missing_file_is_an_empty_policy_and_invalid_side_is_refused():
    assert diff(None, None) == []
    with pytest.raises(PolicyError, match=r"new:3:\d+: 'network.allow' must be an array"):
        diff("", "[network]\nallow = 3\n")


# -- the command ------------------------------------------------------------------------------

@pytest.fixture
def history(tmp_path, env):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "sandbox.toml").write_text('version = 1\n[network]\nallow = ["pypi.org"]\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "sandbox.toml").write_text('version = 1\n[network]\nallow = []\ndeny = ["x.example"]\n')
    git(repo, "commit", "-q", "-am", "two: tighter")
    return repo


def test_command_compares_two_revisions_and_exits_0_without_widening(history):
    result = guard(history, "policy", "diff", "HEAD~1..HEAD")
    assert result.returncode == 0, result.stderr
    assert "tightening network.allow: allowed domain 'pypi.org' removed (sandbox.toml:3)" in result.stdout
    assert "0 widening" in result.stdout
    reverse = guard(history, "policy", "diff", "HEAD..HEAD~1")
    assert reverse.returncode == 1
    assert "WIDENING   network.deny: removed domain denial 'x.example'" in reverse.stdout


def test_command_defaults_to_head_against_working_tree_and_cached_against_index(history):
    (history / "sandbox.toml").write_text('version = 1\n[network]\nallow = ["*.evil.example"]\n')
    result = guard(history, "policy", "diff")
    assert result.returncode == 1 and "new allowed domain '*.evil.example'" in result.stdout
    assert "to the working tree" in result.stdout
    cached = guard(history, "policy", "diff", "--cached")
    assert cached.returncode == 0 and "no policy changes between HEAD and the index" in cached.stdout
    git(history, "add", "sandbox.toml")
    assert guard(history, "policy", "diff", "--cached").returncode == 1


def test_command_refuses_unknown_revisions_and_invalid_policies(history):
    bad = guard(history, "policy", "diff", "nope..HEAD")
    assert bad.returncode == 2 and "unknown revision 'nope'" in bad.stderr
    option = guard(history, "policy", "diff", "--", "--output=x..HEAD")
    assert option.returncode == 2 and "invalid revision" in option.stderr
    (history / "sandbox.toml").write_text("version = 1\n[network]\nallow = 3\n")
    invalid = guard(history, "policy", "diff")
    assert invalid.returncode == 2
    assert "sandbox.toml (working tree):3:1:" in invalid.stderr


def test_command_outside_a_repository_is_a_usage_error(tmp_path, env):
    result = guard(tmp_path, "policy", "diff")
    assert result.returncode == 2 and "not inside a git working tree" in result.stderr
