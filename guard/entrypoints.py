"""Installed plugins' entry points, read without importing importlib.metadata or any plugin."""

from __future__ import annotations

import os
import sys


def plugin_modules() -> list[str]:
    """Top-level modules of every installed guard plugin, without importing any of them."""
    return sorted({value.partition(":")[0].strip().split(".")[0] for _n, value, _d in entry_points("guard")})


def entry_points(group: str) -> list[tuple[str, str, str]]:
    """(name, value, "dist version") of every entry point in ``group``, sorted by name.

    Reads ``entry_points.txt`` of each installed distribution directly: importlib.metadata
    costs ~20 ms to import and parse, which ``guard run`` pays on every command. The first
    distribution found on sys.path wins, as with importlib.metadata.
    """
    found: dict[str, tuple[str, str, str]] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for meta in names:
            if not meta.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry, meta, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            dist = meta.rsplit(".", 1)[0].replace("-", " ", 1)
            section = None
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("["):
                    section = line.strip("[]").strip()
                elif section == group and "=" in line and not line.startswith(("#", ";")):
                    name, value = (x.strip() for x in line.split("=", 1))
                    found.setdefault(name, (name, value, dist))
    return [found[k] for k in sorted(found)]
