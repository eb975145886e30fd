"""Policy paths to real paths: ``~`` and workspace-relative forms, and glob expansion."""

from __future__ import annotations

import os
import sys


def expand(text: str, workspace: str, home: str) -> str:
    if text == "~":
        return home
    if text.startswith("~/"):
        return os.path.join(home, text[2:])
    return text if os.path.isabs(text) else os.path.join(workspace, text)


def expand_glob(pattern: str) -> list[str]:
    """Existing matches, sorted. A literal path is returned as is, existing or not.

    ``dir/**`` means the folder itself: one read-only mount of the folder covers everything
    below it, including what does not exist yet, and costs no walk.
    """
    if pattern.endswith("/**") and not any(c in pattern[:-3] for c in "*?["):
        return [pattern[:-3]]
    if not any(c in pattern for c in "*?["):
        return [pattern]
    import glob

    kwargs = {"include_hidden": True} if sys.version_info >= (3, 11) else {}
    return sorted(set(glob.glob(pattern, recursive=True, **kwargs)))
