"""No usable credential store: the run goes on, says so first, and no token can be used."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
GUARD = str(Path(sys.executable).parent / "guard")


def test_missing_keyring_warns_before_the_command_and_still_runs_it(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "sandbox.toml").write_text('version = 1\n[git]\nhosts = ["github.com"]\n')
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": os.environ["PATH"],
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    assert subprocess.run([GUARD, "trust"], cwd=workspace, env=env, capture_output=True).returncode == 0
    result = subprocess.run([GUARD, "run", "--", "sh", "-c", "echo ran; env"], cwd=workspace, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ran")
    assert "github.com gets no token this run" in result.stderr
    assert "guard-surrogate-" in result.stdout  # git still only ever sees a stand-in
