"""Machine checks for ``guard doctor``: each says what it found and, on failure, the fix."""

from __future__ import annotations

import platform
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = True  # a failed required check means `guard run` cannot work


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when unavailable (landlock_create_ruleset VERSION flag)."""
    import ctypes

    nr = {"x86_64": 444, "aarch64": 444}.get(platform.machine())
    if nr is None:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(nr, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # LANDLOCK_CREATE_RULESET_VERSION
    return max(int(abi), 0)


def core_checks() -> list[Check]:
    checks = []
    abi = landlock_abi() if platform.system() == "Linux" else 0
    checks.append(Check("landlock", abi > 0, f"Landlock ABI {abi}" if abi else "Landlock unavailable",
                        None if abi else "boot a kernel >= 5.13 with lsm=landlock", required=False))
    try:
        from guard.broker.keyring_store import select_backend
        from guard.broker.store import StoreUnavailable

        try:  # the same rule the credential store applies: one place decides
            backend = select_backend()
            checks.append(Check("keyring", True, f"keyring backend: {type(backend).__module__}."
                                f"{type(backend).__name__}", required=False))
        except StoreUnavailable as exc:
            checks.append(Check("keyring", False, str(exc),
                                "install and unlock a Secret Service (gnome-keyring), "
                                "or opt in to the encrypted file store: guard creds --store file",
                                required=False))
    except Exception as exc:  # noqa: BLE001 - doctor reports every failure as a finding
        checks.append(Check("keyring", False, f"keyring unusable: {exc}",
                            "pip install keyring secretstorage", required=False))
    return checks


def run_checks(plugins) -> tuple[list[Check], str | None]:
    from guard.launch import current_platform

    checks = list(plugins.doctor_checks()) + core_checks()
    recommended = None
    for backend in sorted(plugins.backends(), key=lambda b: -getattr(b, "strength", 0)):
        if current_platform() in backend.platforms and backend.viability().ok:
            recommended = backend.name
            break
    return checks, recommended
