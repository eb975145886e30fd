"""What this Linux machine allows: is bwrap there, can an unprivileged user create namespaces.

Cheap reads of /proc only; nothing here starts a process, so it can run on every launch.
"""

from __future__ import annotations

import os
from pathlib import Path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def bwrap_path() -> str | None:
    override = os.environ.get("GUARD_BWRAP")
    if override:
        return override if os.access(override, os.X_OK) else None
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):  # shutil costs an import
        candidate = os.path.join(folder or ".", "bwrap")
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None


def userns_problem() -> tuple[str, str] | None:
    """(reason, fix) when unprivileged user namespaces are blocked, else None."""
    if _read("/proc/sys/kernel/unprivileged_userns_clone") == "0" and os.geteuid() != 0:
        return ("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)",
                "sudo sysctl -w kernel.unprivileged_userns_clone=1")
    if _read("/proc/sys/user/max_user_namespaces") == "0":
        return ("user namespaces are disabled (user.max_user_namespaces=0)",
                "sudo sysctl -w user.max_user_namespaces=15000")
    if _read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1" and os.geteuid() != 0:
        return ("Ubuntu's AppArmor restricts unprivileged user namespaces "
                "(kernel.apparmor_restrict_unprivileged_userns=1)",
                "add an AppArmor profile allowing userns for /usr/bin/bwrap "
                "(see https://ubuntu.com/blog/ubuntu-23-10-restricted-unprivileged-user-namespaces), "
                "or use the landlock backend")
    return None


def bwrap_version(path: str) -> tuple[int, ...]:
    """bwrap's version without running it when possible (cached by binary mtime)."""
    import subprocess

    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5).stdout
        return tuple(int(x) for x in out.split()[-1].split("."))
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return (0,)


def cached_version(path: str) -> tuple[int, ...]:
    """bwrap --version, cached per binary so that a launch does not pay for an extra exec."""
    import json

    from guard import paths

    try:
        st = os.stat(path)
    except OSError:
        return (0,)
    key = f"{path}:{st.st_mtime_ns}:{st.st_size}"
    cache = paths.state_dir() / "bwrap-version.json"
    try:
        data = json.loads(cache.read_text())
        if data.get("key") == key:
            return tuple(data["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    version = bwrap_version(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        cache.write_text(json.dumps({"key": key, "version": list(version)}))
    except OSError:
        pass
    return version
