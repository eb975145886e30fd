"""Start-up cost of `guard run -- true`, against bare `true` and bare bwrap, in one run.

    python bench/startup.py [--runs 30] [--files 100000]

Prints the median wall time of each, the overhead over bare `true` and the ratio to bare
bwrap, for an empty workspace and for a large one (``--files`` files in folders of 100),
cold (guard's workspace scan cache empty) and warm. No thresholds: numbers only. guard runs
with a throwaway HOME and XDG folders, so the real user's state is never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRUE = shutil.which("true") or "/bin/true"
BWRAP = shutil.which("bwrap") or "bwrap"


def guard_argv() -> list[str]:
    script = Path(sys.executable).with_name("guard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "guard"]


def timed(argv: list[str], env: dict, cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed with {result.returncode}: {result.stderr.decode(errors='replace')}")
    return elapsed


def make_workspace(root: Path, files: int) -> Path:
    workspace = root / f"ws-{files}"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    (workspace / "sandbox.toml").write_text("version = 1\n")
    per_dir = 100
    for d in range((files + per_dir - 1) // per_dir):
        folder = workspace / f"d{d:04}"
        folder.mkdir()
        for f in range(min(per_dir, files - d * per_dir)):
            (folder / f"f{f:03}.txt").write_bytes(b"x")
    return workspace


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per measurement (default 30)")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold runs (cache wiped each time)")
    parser.add_argument("--files", type=int, default=100_000, help="files in the large workspace")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="guard-bench-", dir="/var/tmp"))
    try:
        home, state = root / "home", root / "state"
        home.mkdir()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
               "XDG_CONFIG_HOME": str(root / "config"), "XDG_STATE_HOME": str(state),
               "GUARD_MANAGED_POLICY": str(root / "none.toml")}
        guard = [*guard_argv(), "run", "--", TRUE]
        bwrap = [BWRAP, "--ro-bind", "/", "/", "--unshare-all", TRUE]
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, {args.runs} runs each, median wall time")
        print(f"guard: {' '.join(guard)}\nbwrap: {' '.join(bwrap)}\n")

        for label, files in (("empty workspace", 0), (f"{args.files:,}-file workspace", args.files)):
            start = time.perf_counter()
            workspace = make_workspace(root, files)
            made = time.perf_counter() - start
            time.sleep(2.5)  # the scan cache never trusts folders changed in the last 2 s
            cold = []
            for _ in range(args.cold_runs):
                shutil.rmtree(state / "guard" / "scan", ignore_errors=True)
                cold.append(timed(guard, env, workspace))
            samples: dict[str, list[float]] = {"true": [], "bwrap": [], "guard": []}
            for _ in range(args.runs):  # interleaved, so that drift hits all three alike
                samples["true"].append(timed([TRUE], env, workspace))
                samples["bwrap"].append(timed(bwrap, env, workspace))
                samples["guard"].append(timed(guard, env, workspace))
            med = {k: statistics.median(v) for k, v in samples.items()}
            cold_med = statistics.median(cold)
            print(f"== {label} (made in {made:.1f} s)")
            print(f"  bare true           {ms(med['true'])}")
            print(f"  bare bwrap true     {ms(med['bwrap'])}   overhead over true {ms(med['bwrap'] - med['true'])}")
            print(f"  guard run (warm)    {ms(med['guard'])}   overhead over true {ms(med['guard'] - med['true'])}"
                  f"   x{med['guard'] / med['bwrap']:.2f} bare bwrap   x{med['guard'] / med['true']:.1f} bare true")
            print(f"  guard run (cold)    {ms(cold_med)}   overhead over true {ms(cold_med - med['true'])}"
                  f"   (median of {len(cold)}, scan cache wiped before each; first {ms(cold[0]).strip()})")
            print(f"  guard warm spread   min {ms(min(samples['guard'])).strip()}  max {ms(max(samples['guard'])).strip()}")
            print()
            shutil.rmtree(workspace)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
