"""Writes that must not escape the workspace, and the always-protected files inside it.

Every test runs the attack for real inside ``guard run`` and then checks the host: a write
counts as blocked only when nothing changed outside the sandbox.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from sandbox_fixtures import unique

pytestmark = pytest.mark.bwrap


# -- outside the workspace ------------------------------------------------------------------

def test_write_to_home_is_refused(sandbox):
    result = sandbox.sh('echo pwned > "$HOME/pwned"; echo pwned >> "$HOME/.bashrc"; mkdir "$HOME/newdir"')
    assert result.returncode != 0
    assert not (sandbox.home / "pwned").exists()
    assert not (sandbox.home / ".bashrc").exists()
    assert not (sandbox.home / "newdir").exists()


def test_write_to_host_tmp_does_not_reach_the_host(sandbox):
    name = unique("guard-escape")
    result = sandbox.sh(f"echo pwned > /tmp/{name} && cat /tmp/{name}")
    assert result.returncode == 0, result.stderr  # the sandbox has its own, writable /tmp
    assert result.stdout == "pwned\n"
    assert not Path("/tmp", name).exists()


def test_host_tmp_content_is_not_visible(sandbox):
    name = unique("guard-host-tmp")
    Path("/tmp", name).write_text("host data\n")
    try:
        result = sandbox.sh(f"cat /tmp/{name}")
        assert result.returncode != 0
        assert "host data" not in result.stdout
    finally:
        Path("/tmp", name).unlink()


def test_write_outside_through_a_symlink_planted_before_the_run_is_refused(sandbox):
    sandbox.symlink(sandbox.workspace / "out", sandbox.outside)
    sandbox.symlink(sandbox.workspace / "out-file", sandbox.outside / "outside-target.txt")
    result = sandbox.sh("echo pwned > out/new.txt; echo pwned > out-file; echo pwned >> out-file")
    assert result.returncode != 0
    assert not (sandbox.outside / "new.txt").exists()
    assert (sandbox.outside / "outside-target.txt").read_text() == "original outside\n"


def test_write_outside_through_a_symlink_made_inside_is_refused(sandbox):
    result = sandbox.sh(f'ln -s {sandbox.outside} out && echo pwned > out/new.txt')
    assert result.returncode != 0
    assert not (sandbox.outside / "new.txt").exists()


def test_write_outside_through_dotdot_is_refused(sandbox):
    result = sandbox.sh("echo pwned > ../escaped.txt; echo pwned > src/../../escaped2.txt; "
                        "echo pwned > ../outside/new.txt")
    assert result.returncode != 0
    for path in (sandbox.base / "escaped.txt", sandbox.base / "escaped2.txt", sandbox.outside / "new.txt"):
        assert not path.exists()


def test_hardlink_to_an_outside_file_fails_with_exdev_or_eperm(sandbox):
    result = sandbox.py(f"""
        import os, errno
        try:
            os.link({str(sandbox.outside / "outside-target.txt")!r}, "hl.txt")
        except OSError as exc:
            print(errno.errorcode[exc.errno])
        else:
            open("hl.txt", "a").write("pwned\\n")
            print("LINKED")
    """)
    assert result.stdout.strip() in ("EXDEV", "EPERM"), result.stdout + result.stderr
    assert not (sandbox.workspace / "hl.txt").exists()
    assert (sandbox.outside / "outside-target.txt").read_text() == "original outside\n"


def test_hardlink_to_a_protected_file_fails(sandbox):
    result = sandbox.sh("ln sandbox.toml copy.toml && echo '[network]' >> copy.toml")
    assert result.returncode != 0
    assert not (sandbox.workspace / "copy.toml").exists()
    assert (sandbox.workspace / "sandbox.toml").read_text() == "version = 1\n"


# -- the always-protected files -------------------------------------------------------------

HOOK = "#!/bin/sh\ntouch /tmp/guard-hook-ran\n"


def test_writing_a_git_hook_is_refused(sandbox):
    result = sandbox.sh(f"printf '{HOOK}' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit")
    assert result.returncode != 0
    assert not (sandbox.workspace / ".git/hooks/pre-commit").exists()


def test_git_config_fsmonitor_cannot_be_set(sandbox):
    before = (sandbox.workspace / ".git/config").read_text()
    result = sandbox.sh("git config core.fsmonitor 'touch /tmp/pwned'; "
                        "git config core.hooksPath /tmp; echo '[alias] x = !sh' >> .git/config")
    assert result.returncode != 0
    assert (sandbox.workspace / ".git/config").read_text() == before
    assert sandbox.git("config", "core.fsmonitor").stdout == ""


def test_git_commondir_cannot_redirect_the_repository_config(sandbox):
    """`.git/commondir` makes git read config and hooks from another folder: an fsmonitor there
    runs on the host's next `git status`."""
    marker = sandbox.outside / "fsmonitor-ran"
    result = sandbox.sh(f"""
        mkdir evil && cp -r .git/objects .git/refs .git/HEAD evil/
        printf '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = "touch {marker}; false"\\n' > evil/config
        echo ../evil > .git/commondir
    """)
    sandbox.git("status")
    assert not marker.exists(), "the host's git ran an fsmonitor planted through .git/commondir"
    assert not (sandbox.workspace / ".git/commondir").exists(), result.stderr


def test_nested_repository_hooks_and_config_are_read_only(sandbox):
    nested = sandbox.workspace / "nested"
    before = (nested / ".git/config").read_text()
    result = sandbox.sh(f"""
        printf '{HOOK}' > nested/.git/hooks/pre-commit
        git -C nested config core.fsmonitor 'touch /tmp/pwned'
    """)
    assert result.returncode != 0
    assert not (nested / ".git/hooks/pre-commit").exists()
    assert (nested / ".git/config").read_text() == before


def test_a_repository_created_during_the_run_cannot_plant_code_for_the_host_git(sandbox):
    """A nested repository created inside and registered as a gitlink: the host's `git status`
    runs `git status` inside populated submodules, which obeys that repository's config."""
    marker = sandbox.outside / "new-repo-fsmonitor-ran"
    sandbox.sh(f"""
        git init -q -b main planted && cd planted
        git -c user.name=a -c user.email=a@b commit -q --allow-empty -m x
        git config core.fsmonitor "touch {marker}; false"
        cd .. && git add planted
    """)
    sandbox.git("status")
    assert not marker.exists(), "a repository made inside the sandbox ran code in the host's git status"


@pytest.mark.parametrize("relative", ["sandbox.toml", ".vscode/tasks.json", ".claude/settings.json"])
def test_protected_file_cannot_be_modified(sandbox, relative):
    before = (sandbox.workspace / relative).read_text()
    result = sandbox.sh(f"echo pwned >> {relative}; echo pwned > {relative}; rm -f {relative}")
    assert result.returncode != 0
    assert (sandbox.workspace / relative).read_text() == before


@pytest.mark.parametrize("relative", [".vscode/settings.json", ".claude/settings.local.json"])
def test_new_files_in_protected_folders_cannot_be_created(sandbox, relative):
    result = sandbox.sh(f"echo '{{}}' > {relative}")
    assert result.returncode != 0
    assert not (sandbox.workspace / relative).exists()


def test_protected_file_in_a_subfolder_is_read_only(sandbox):
    sandbox.write("pkg/.vscode/tasks.json", "{}\n")
    sandbox.write("pkg/sandbox.toml", "version = 1\n")
    result = sandbox.sh("echo pwned > pkg/.vscode/tasks.json; echo pwned > pkg/sandbox.toml")
    assert result.returncode != 0
    assert (sandbox.workspace / "pkg/.vscode/tasks.json").read_text() == "{}\n"
    assert (sandbox.workspace / "pkg/sandbox.toml").read_text() == "version = 1\n"


# -- rename-away attacks --------------------------------------------------------------------

def test_git_dir_cannot_be_renamed_away_and_replaced(sandbox):
    result = sandbox.sh(f"""
        mv .git .git2 && mkdir -p .git/hooks && printf '{HOOK}' > .git/hooks/pre-commit
    """)
    assert result.returncode != 0
    assert not (sandbox.workspace / ".git2").exists()
    assert not (sandbox.workspace / ".git/hooks/pre-commit").exists()
    assert sandbox.git("log", "--oneline").stdout.count("\n") == 1


def test_nested_repository_cannot_be_renamed_away(sandbox):
    result = sandbox.sh(f"""
        mv nested nested2 && mkdir -p nested/.git/hooks && printf '{HOOK}' > nested/.git/hooks/pre-commit
    """)
    assert result.returncode != 0
    assert not (sandbox.workspace / "nested2").exists()
    assert not (sandbox.workspace / "nested/.git/hooks/pre-commit").exists()


def test_nested_repository_parent_cannot_be_renamed_away(sandbox):
    box = sandbox
    box.makedirs(box.workspace / "deep/er")
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "x"]):
        assert box.git(*args, cwd=box.workspace / "deep/er").returncode == 0
    result = box.sh(f"mv deep deep2 && mkdir -p deep/er/.git/hooks && printf '{HOOK}' > deep/er/.git/hooks/pre-commit")
    assert result.returncode != 0
    assert not (box.workspace / "deep2").exists()
    assert not (box.workspace / "deep/er/.git/hooks/pre-commit").exists()


def test_vscode_folder_cannot_be_renamed_away_and_replaced(sandbox):
    result = sandbox.sh("mv .vscode x && mkdir .vscode && echo '{\"tasks\": [\"pwned\"]}' > .vscode/tasks.json")
    assert result.returncode != 0
    assert not (sandbox.workspace / "x").exists()
    assert (sandbox.workspace / ".vscode/tasks.json").read_text() == '{"version": "2.0.0", "tasks": []}\n'


@pytest.mark.parametrize("name", [".envrc", ".mcp.json", ".claude/settings.json", ".gitmodules",
                                  ".pre-commit-config.yaml", ".idea/workspace.xml"])
def test_missing_protected_names_cannot_be_created_and_leave_no_placeholder(sandbox_without_claude, name):
    box = sandbox_without_claude
    before = sorted(os.listdir(box.workspace))
    result = box.sh(f"mkdir -p $(dirname {name}); echo pwned > {name}")
    assert result.returncode != 0
    assert not (box.workspace / name).exists()
    assert sorted(os.listdir(box.workspace)) == before, "placeholders left behind in the workspace"


def test_placeholders_are_removed_after_an_ordinary_run(sandbox_without_claude):
    box = sandbox_without_claude
    before = sorted(os.listdir(box.workspace))
    assert box.sh("true").returncode == 0
    assert sorted(os.listdir(box.workspace)) == before


def test_placeholders_of_a_killed_guard_are_removed_by_the_next_launch(sandbox_without_claude):
    """A SIGKILLed guard cannot clean up; its ledger lets the next launch do it."""
    box = sandbox_without_claude
    before = sorted(os.listdir(box.workspace))
    proc = box.popen("run", "--", "sleep", "30")
    deadline = time.monotonic() + 20
    while not (box.workspace / ".envrc").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.kill()
    proc.wait(timeout=10)
    assert (box.workspace / ".envrc").exists()  # the kill really left them
    assert box.run("run", "--", "true").returncode == 0
    assert sorted(os.listdir(box.workspace)) == before, "placeholders of a killed guard outlived the next launch"


def test_concurrent_runs_keep_protected_names_uncreatable(sandbox_without_claude):
    """Run A creates placeholders; run B starts while they exist; A ends and removes them.
    B must still be unable to create `.envrc`."""
    box = sandbox_without_claude
    a = box.popen("run", "--", "sleep", "3")
    deadline = time.monotonic() + 20
    while not (box.workspace / ".envrc").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    b = box.popen("run", "--", "sh", "-c", "sleep 6; echo pwned > .envrc; mkdir -p .claude; "
                                            "echo pwned > .claude/settings.json",
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    a.wait(timeout=30)
    b.communicate(timeout=30)
    assert not (box.workspace / ".envrc").exists() or (box.workspace / ".envrc").read_text() != "pwned\n"
    assert not (box.workspace / ".claude/settings.json").exists()


def test_dangling_symlink_with_a_protected_name_cannot_be_filled_in(sandbox_without_claude):
    """A repository may carry `.vscode -> vsc` with `vsc` missing: creating `vsc/tasks.json`
    inside the sandbox would give VS Code a task on the host."""
    box = sandbox_without_claude
    box.symlink(box.workspace / ".claude", "claude-real")
    box.symlink(box.workspace / ".envrc", "envrc-real")
    result = box.sh("mkdir claude-real && echo pwned > claude-real/settings.json; echo pwned > envrc-real")
    assert not (box.workspace / "claude-real/settings.json").exists(), result.stderr
    assert not (box.workspace / "envrc-real").exists()


# -- deny_write -----------------------------------------------------------------------------

def test_deny_write_glob_makes_matching_files_read_only(sandbox):
    sandbox.write("data/raw/a.csv", "1,2\n")
    sandbox.write("data/raw/sub/b.csv", "3,4\n")
    sandbox.write("data/clean.csv", "5\n")
    sandbox.policy('[filesystem]\ndeny_write = ["data/raw/**"]\n')
    result = sandbox.sh("echo x >> data/raw/a.csv; echo x >> data/raw/sub/b.csv; echo x > data/raw/new.csv")
    assert result.returncode != 0
    assert (sandbox.workspace / "data/raw/a.csv").read_text() == "1,2\n"
    assert (sandbox.workspace / "data/raw/sub/b.csv").read_text() == "3,4\n"
    assert not (sandbox.workspace / "data/raw/new.csv").exists()
    assert sandbox.sh("echo 6 >> data/clean.csv").returncode == 0  # control: the rest stays writable


def test_deny_write_folder_cannot_be_renamed_away_and_replaced(sandbox):
    sandbox.write("data/raw/a.csv", "1,2\n")
    sandbox.policy('[filesystem]\ndeny_write = ["data/raw/**"]\n')
    sandbox.sh("mv data data2 && mkdir -p data/raw && echo forged > data/raw/a.csv")
    assert (sandbox.workspace / "data/raw/a.csv").read_text() == "1,2\n"


# -- legitimate work ------------------------------------------------------------------------

def test_build_and_run_code_in_the_workspace(sandbox):
    result = sandbox.sh("mkdir -p build && cp src/main.py build/app.py && python3 build/app.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from the workspace\n"


def test_git_add_commit_and_branch_inside(sandbox):
    result = sandbox.sh("echo change >> src/main.py && git add -A && git commit -q -m change "
                        "&& git checkout -q -b feature && git log --oneline | wc -l")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
    assert sandbox.git("branch", "--show-current").stdout.strip() == "feature"


def test_git_commit_in_a_worktree_inside(sandbox):
    assert sandbox.git("worktree", "add", "-q", "wt", "-b", "wt-branch").returncode == 0
    result = sandbox.sh("cd wt && echo x > f && git add f && git commit -q -m in-worktree && git checkout -q -b wt2")
    assert result.returncode == 0, result.stderr
    assert "in-worktree" in sandbox.git("log", "--oneline", "wt2").stdout


def test_git_commit_in_a_submodule_inside(sandbox):
    upstream = sandbox.base / "upstream"
    sandbox.makedirs(upstream)
    for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "up"]):
        assert sandbox.git(*args, cwd=upstream).returncode == 0
    added = sandbox.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(upstream), "sub")
    assert added.returncode == 0, added.stderr
    result = sandbox.sh("cd sub && echo x > f && git add f && git commit -q -m in-submodule && git checkout -q -b s2")
    assert result.returncode == 0, result.stderr
    assert "in-submodule" in sandbox.git("log", "--oneline", "s2", cwd=sandbox.workspace / "sub").stdout


def test_git_commit_in_the_workspace_cannot_write_hooks_of_a_worktree(sandbox):
    assert sandbox.git("worktree", "add", "-q", "wt", "-b", "wt-branch").returncode == 0
    result = sandbox.sh(f"cd wt && printf '{HOOK}' > $(git rev-parse --git-common-dir)/hooks/pre-commit; "
                        "git config core.fsmonitor 'touch /tmp/pwned'")
    assert result.returncode != 0
    assert not (sandbox.workspace / ".git/hooks/pre-commit").exists()
    assert sandbox.git("config", "core.fsmonitor").stdout == ""
