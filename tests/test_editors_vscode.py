"""The VS Code extension's own test suite (node's built-in runner), run from pytest.

The suite drives editors/vscode against a stand-in `vscode` module and a fake `guard`
executable; see editors/vscode/test/.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "editors" / "vscode" / "test"


def node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    return int(version.strip().lstrip("v").split(".")[0])


def test_vscode_extension_suite_passes():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the VS Code extension tests need node >= 18 (apt-get install nodejs)")
    if node_major(node) < 18:
        pytest.skip(f"{node} is older than 18, which has no `node --test`")
    result = subprocess.run(
        [node, "--test", str(SUITE) + "/"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    # A suite that ran nothing must not count as a pass.
    assert "# fail 0" in result.stdout
    passed = [line for line in result.stdout.splitlines() if line.startswith("# pass ")]
    assert passed and int(passed[-1].split()[-1]) > 0, result.stdout
