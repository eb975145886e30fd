"""``guard doctor`` checks for the bubblewrap backend: run bwrap for real, as guard would."""

from __future__ import annotations

import subprocess

from guard.doctor import Check

from guard_bwrap import machine


def checks() -> list[Check]:
    found = []
    path = machine.bwrap_path()
    if path is None:
        return [Check("bwrap", False, "bubblewrap (bwrap) not found on PATH",
                      "sudo apt-get install bubblewrap  (Fedora: dnf install bubblewrap)")]
    version = ".".join(map(str, machine.bwrap_version(path)))
    found.append(Check("bwrap", True, f"{path} version {version}"))
    problem = machine.userns_problem()
    if problem:
        found.append(Check("user namespaces", False, problem[0], problem[1]))
        return found
    try:
        result = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                                capture_output=True, text=True, timeout=20)
        ok, detail = result.returncode == 0, (result.stderr.strip() or "bwrap started a sandbox")
    except (OSError, subprocess.SubprocessError) as exc:
        ok, detail = False, str(exc)
    found.append(Check("user namespaces", ok, detail,
                       None if ok else "sudo sysctl -w kernel.unprivileged_userns_clone=1 "
                                       "(or check AppArmor/SELinux restrictions on bwrap)"))
    from guard_bwrap import seccomp

    found.append(Check("seccomp filter", seccomp.supported(),
                       "unix-socket/TIOCSTI filter available" if seccomp.supported()
                       else "no filter for this CPU architecture", None if seccomp.supported()
                       else "use x86_64 or aarch64", required=False))
    return found
