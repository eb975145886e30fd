"""Fixtures for the sandbox attack tests: a real workspace, a fake HOME, the real CLI.

``identity``  who runs guard: ``root`` and an unprivileged user (``guard-tester``, created with
              ``useradd`` when the tests run as root, then entered with ``setpriv``, which,
              unlike ``runuser``, keeps the environment we hand it). When the tests do not run
              as root, the current user *is* the unprivileged identity and ``root`` is skipped.

              Which Python the unprivileged user runs: the project's own venv when that user
              can ``import guard, guard_bwrap`` with it (true here: /work/main/.venv was made
              from /usr/bin/python3, and the default python3 under /root is unreachable for
              other users). Otherwise (CI may clone into a folder the user cannot enter) a
              world-readable copy is built once per session under /tmp: the source (guard/,
              plugins/, pyproject.toml, README.md) copied with mode 755, a venv made from
              /usr/bin/python3, the test venv's installed packages copied into it (so no
              network is needed; our own dist-info too, which carries the plugin entry points)
              and a .pth pointing at the copy, which is what the editable install does for
              the project folder. (``pip install <copy>`` was the first idea, but it needs the
              network for build isolation and the venv's old setuptools rejects pyproject.)
              ``GUARD_TEST_FORCE_COPY=1`` forces that path.

``sandbox``   one fresh world per test, owned by the identity: a git repository with a commit
              (the workspace, with ``sandbox.toml``, ``.vscode/tasks.json``,
              ``.claude/settings.json`` and a nested repository), an isolated HOME holding a
              fake ``~/.ssh/id_ed25519`` and ``~/.aws/credentials``, XDG_CONFIG_HOME,
              XDG_STATE_HOME and XDG_RUNTIME_DIR in temp folders, a folder outside the
              workspace that the identity may write (so a failed write there proves the
              sandbox, not file permissions), and ``run(...)`` to call the real CLI. The
              real user's state is never touched: every path guard reads comes from this env.
              Only ``GUARD_DISABLE_PLUGINS`` is taken from the test run's own environment, so a
              run can leave out a plugin that is half-built in the tree.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
UNPRIVILEGED_USER = "guard-tester"
SYSTEM_PYTHON = "/usr/bin/python3"
SSH_KEY_MARKER = "FAKE-ED25519-KEY-MATERIAL-7f3a"
AWS_MARKER = "FAKEAWSSECRET0123456789abcdef"
SSH_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_KEY_MARKER}\n-----END OPENSSH PRIVATE KEY-----\n"
BASE_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
SCRATCH = os.environ.get("GUARD_TEST_SCRATCH", "/var/tmp")


@dataclass(frozen=True)
class Identity:
    name: str  # "root" or "unprivileged"
    uid: int
    gid: int
    python: str  # a python that can import guard and guard_bwrap as this identity
    prefix: tuple[str, ...] = ()  # argv prefix that switches to the identity

    def argv(self, *args: str) -> list[str]:
        return [*self.prefix, *args]


def _can_import_as(prefix: tuple[str, ...], python: str) -> bool:
    try:
        result = subprocess.run([*prefix, python, "-c", "import guard, guard_bwrap"],
                                capture_output=True, timeout=60, cwd="/", env={"PATH": BASE_PATH})
    except OSError:
        return False
    return result.returncode == 0


def _world_readable_copy() -> str:
    """Build /tmp/guard-test-venv-*/ once: a copy of the source and a venv any user can run."""
    base = Path(tempfile.mkdtemp(prefix="guard-test-venv-"))
    src = base / "src"
    src.mkdir()
    for name in ("guard", "plugins"):
        shutil.copytree(PROJECT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(PROJECT / "pyproject.toml", src)
    readme = PROJECT / "README.md"
    if readme.exists():
        shutil.copy2(readme, src)
    else:  # pyproject names it: keep the copy a complete source tree
        (src / "README.md").write_text("guard\n")
    venv = base / "venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    ours = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p, "pluggy").is_dir()))
    for entry in ours.iterdir():  # the dependencies and our dist-info (its entry points), no network
        if entry.name.startswith(("__editable__", "__pycache__")) or (site / entry.name).exists():
            continue
        (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, site / entry.name, **(
            {"symlinks": True} if entry.is_dir() else {}))
    # what the editable finder did for the project folder, a .pth does for the copy
    (site / "guard-test-copy.pth").write_text(f"{src}\n{src / 'plugins'}\n")
    for root, dirs, files in os.walk(base):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.access(path, os.X_OK) else 0o644)
    os.chmod(base, 0o755)
    return str(venv / "bin" / "python")


def _ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        UNPRIVILEGED_USER], check=True, capture_output=True)
        return pwd.getpwnam(UNPRIVILEGED_USER)


@pytest.fixture(scope="session")
def unprivileged_identity():
    if os.geteuid() != 0:  # we already are unprivileged
        yield Identity("unprivileged", os.getuid(), os.getgid(), sys.executable)
        return
    if not shutil.which("setpriv"):
        pytest.skip("running as root but setpriv is missing: cannot switch to an unprivileged user")
    user = _ensure_user()
    prefix = ("setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups")
    python = sys.executable
    copy = None
    if os.environ.get("GUARD_TEST_FORCE_COPY") == "1" or not _can_import_as(prefix, python):
        python = _world_readable_copy()
        copy = Path(python).parents[2]
        assert _can_import_as(prefix, python), f"{UNPRIVILEGED_USER} cannot import guard from {python}"
    yield Identity("unprivileged", user.pw_uid, user.pw_gid, python, prefix)
    if copy is not None:
        shutil.rmtree(copy, ignore_errors=True)


@pytest.fixture(scope="session", params=["root", "unprivileged"])
def identity(request) -> Identity:
    if request.param == "root":
        if os.geteuid() != 0:
            pytest.skip("not running as root")
        return Identity("root", 0, 0, sys.executable)
    return request.getfixturevalue("unprivileged_identity")


@dataclass
class Sandbox:
    identity: Identity
    base: Path
    workspace: Path
    home: Path
    outside: Path  # writable by the identity, outside the workspace
    env: dict[str, str] = field(default_factory=dict)
    _procs: list[subprocess.Popen] = field(default_factory=list)

    # -- running things ---------------------------------------------------------------------
    def guard_argv(self, *args: str) -> list[str]:
        return self.identity.argv(self.identity.python, "-m", "guard", *args)

    def run(self, *args: str, input: str | None = None, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
        """The real CLI, as the identity, with this world's environment."""
        return subprocess.run(self.guard_argv(*args), input=input, capture_output=True, text=True,
                              env={**self.env, **(env or {})}, cwd=cwd or self.workspace, timeout=timeout)

    def sh(self, script: str, **kwargs) -> subprocess.CompletedProcess:
        """``guard run -- sh -c SCRIPT``."""
        return self.run("run", "--", "sh", "-c", textwrap.dedent(script), **kwargs)

    def py(self, code: str, **kwargs) -> subprocess.CompletedProcess:
        """``guard run -- python3 -c CODE`` (the system python, reachable by every user)."""
        return self.run("run", "--", SYSTEM_PYTHON, "-c", textwrap.dedent(code), **kwargs)

    def popen(self, *args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(self.guard_argv(*args), env={**self.env, **(env or {})},
                                cwd=kwargs.pop("cwd", self.workspace), **kwargs)
        self._procs.append(proc)
        return proc

    def host(self, *argv: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
        """A command on the host (outside any sandbox), as the identity."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 60)
        return subprocess.run(self.identity.argv(*argv), env={**self.env, **(env or {})},
                              cwd=kwargs.pop("cwd", self.workspace), **kwargs)

    def host_popen(self, *argv: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(self.identity.argv(*argv), env={**self.env, **(env or {})},
                                cwd=kwargs.pop("cwd", self.workspace), **kwargs)
        self._procs.append(proc)
        return proc

    def git(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return self.host("git", *args, cwd=cwd or self.workspace)

    def trust(self) -> None:
        result = self.run("trust", "--yes")
        assert result.returncode == 0, result.stderr

    # -- building the world -----------------------------------------------------------------
    def write(self, relative: str, text: str, *, root: Path | None = None, mode: int = 0o644) -> Path:
        """Create a file (and its folders) as the identity would have."""
        path = (root or self.workspace) / relative
        self.makedirs(path.parent)
        path.write_text(text)
        os.chmod(path, mode)
        os.lchown(path, self.identity.uid, self.identity.gid)
        return path

    def makedirs(self, folder: Path, mode: int = 0o755) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir(mode=mode)
            os.lchown(path, self.identity.uid, self.identity.gid)

    def symlink(self, link: Path, target: str | Path) -> Path:
        os.symlink(target, link)
        os.lchown(link, self.identity.uid, self.identity.gid)
        return link

    def policy(self, text: str) -> None:
        self.write("sandbox.toml", "version = 1\n" + textwrap.dedent(text))

    def cleanup(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                proc.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


def make_sandbox(identity: Identity, *, claude: bool = True) -> Sandbox:
    # Not under /tmp: the sandbox gets a private /tmp, which would hide HOME and the folders
    # outside the workspace, and the attacks on them would prove nothing.
    base = Path(tempfile.mkdtemp(prefix="guard-sbx-", dir=SCRATCH))
    os.chmod(base, 0o755)  # the unprivileged user must be able to enter it
    box = Sandbox(identity, base, base / "ws", base / "home", base / "outside")
    for folder in (box.workspace, box.home, box.outside, base / "config", base / "state", base / "runtime"):
        box.makedirs(folder)
    os.chmod(base / "runtime", 0o700)
    box.env = {
        "PATH": BASE_PATH, "HOME": str(box.home), "LANG": "C.UTF-8", "USER": "tester",
        "XDG_CONFIG_HOME": str(base / "config"), "XDG_STATE_HOME": str(base / "state"),
        "XDG_RUNTIME_DIR": str(base / "runtime"),
        "GUARD_MANAGED_POLICY": str(base / "no-managed-policy.toml"),  # the machine's /etc/guard stays out
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    if os.environ.get("GUARD_DISABLE_PLUGINS"):  # lets a run leave out a half-built plugin
        box.env["GUARD_DISABLE_PLUGINS"] = os.environ["GUARD_DISABLE_PLUGINS"]
    box.write(".ssh/id_ed25519", SSH_KEY, root=box.home, mode=0o600)
    os.chmod(box.home / ".ssh", 0o700)
    box.write(".aws/credentials", f"[default]\naws_secret_access_key = {AWS_MARKER}\n", root=box.home, mode=0o600)
    # the sandbox sees no GIT_* variables (not in the default pass list): git finds its name here
    box.write(".gitconfig", "[user]\n\tname = t\n\temail = t@example.com\n"
              "[protocol \"file\"]\n\tallow = always\n", root=box.home)
    box.write("outside-target.txt", "original outside\n", root=box.outside)

    box.policy("")
    box.write(".vscode/tasks.json", '{"version": "2.0.0", "tasks": []}\n')
    if claude:
        box.write(".claude/settings.json", '{"permissions": {}}\n')
    box.write("src/main.py", "print('hello from the workspace')\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        assert box.git(*args).returncode == 0
    nested = box.workspace / "nested"
    box.write("nested/lib.py", "X = 1\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "nested"]):
        assert box.git(*args, cwd=nested).returncode == 0
    return box


@pytest.fixture
def sandbox(identity):
    box = make_sandbox(identity)
    yield box
    box.cleanup()


@pytest.fixture
def sandbox_without_claude(identity):
    box = make_sandbox(identity, claude=False)
    yield box
    box.cleanup()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
