"""Neovim: guard writes no file, it prints how to install the plugin in ``editors/nvim``.

A per-repository ``.nvim.lua`` / ``.exrc`` (Neovim's ``'exrc'`` option) is itself code that a
cloned repository can plant and Neovim runs outside any sandbox (after one ``vim.secure``
prompt); guard writing one would teach users to accept them. So the plugin is installed
once, in the user's own config, and this generator only checks the repository for exrc
files and says so loudly.
"""

from __future__ import annotations

from pathlib import Path

from guard.integrations.plan import Plan

EXRC_FILES = (".nvim.lua", ".nvimrc", ".exrc")


def plan(workspace: Path) -> Plan:
    result = Plan()
    for name in EXRC_FILES:
        if (workspace / name).exists():
            result.warnings.append(
                f"WARNING: {name} is in this repository: with 'exrc' set, Neovim runs it when you open the "
                "folder, outside any sandbox, with whatever content the last push gave it. Keep 'exrc' off "
                "here, or review the file each time vim.secure asks."
            )
    plugin = Path(__file__).resolve().parents[2] / "editors" / "nvim"
    where = str(plugin) if plugin.is_dir() else "editors/nvim in the guard source tree"
    result.notes += [
        "guard writes no file for Neovim (a per-repository .nvim.lua would be code a clone can plant).",
        f"install the plugin once, from {where}; with lazy.nvim: {{ dir = {str(where)!r} }}",
        "then: :Guard run -- make test   :Guard explain   :Guard log   :Guard trust   :checkhealth guard",
    ]
    return result
