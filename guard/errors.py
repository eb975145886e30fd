"""Errors that end a guard command, each with the exit status it maps to."""

from __future__ import annotations

EXIT_USAGE = 2  # usage and policy errors (SPEC section 3)
EXIT_GUARD_FAILED = 125  # guard itself failed; the command never ran


class GuardError(Exception):
    """An error that guard reports in one message and turns into an exit status."""

    exit_status = EXIT_GUARD_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def render(self) -> str:
        text = f"guard: {self}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


class UsageError(GuardError):
    exit_status = EXIT_USAGE


class PolicyError(GuardError):
    """A policy file is invalid; the message is ``FILE:LINE:COL: what is wrong``."""

    exit_status = EXIT_USAGE

    def __init__(self, file: str, line: int, col: int, message: str) -> None:
        self.file, self.line, self.col, self.reason = file, line, col, message
        super().__init__(f"{file}:{line}:{col}: {message}")

    def render(self) -> str:
        return f"guard: {self}\n  nothing was run; fix the file and try again"


class BackendUnavailable(GuardError):
    """The selected backend cannot enforce the policy on this machine."""
