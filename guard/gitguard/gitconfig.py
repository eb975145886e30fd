"""Repository git config keys that make git (or the tools reading its config) run a program.

``.git/config`` is not versioned: it arrives from whoever set the repository up, and on a
machine where a sandbox could once write it, from that sandbox. Each key here turns ordinary
git use (status, diff, checkout, fetch) into running a command chosen by the file's author.
Only the repository's own scopes (local, worktree) are checked: the user's global config is
their own choice.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from guard.gitguard.gitrepo import GitRepo

# (glob over the lower-cased key, what running it looks like). Subsection names are matched
# by "*" (git keeps their case, the globs are matched case-insensitively).
DANGEROUS: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "runs a program on every status, diff and commit"),
    ("core.hookspath", "moves hooks to another folder: guard's hooks stop running"),
    ("core.sshcommand", "runs a program for every ssh fetch and push"),
    ("core.gitproxy", "runs a program for git:// connections"),
    ("core.askpass", "runs a program whenever git asks for a password"),
    ("core.editor", "runs a program for commit messages"),
    ("core.pager", "runs a program for log, diff and show"),
    ("core.alternaterefscommand", "runs a program on fetch and push"),
    ("sequence.editor", "runs a program during rebase"),
    ("diff.external", "runs a program for every diff"),
    ("diff.*.textconv", "runs a program for every diff of matching files"),
    ("diff.*.command", "runs a program for every diff of matching files"),
    ("merge.*.driver", "runs a program for merges of matching files"),
    ("filter.*.clean", "runs a program on add, status and diff of matching files"),
    ("filter.*.smudge", "runs a program on checkout of matching files"),
    ("filter.*.process", "runs a long-lived program for matching files"),
    ("credential.helper", "runs a program that receives your credentials"),
    ("credential.*.helper", "runs a program that receives your credentials"),
    ("gpg.program", "runs a program when signing or verifying"),
    ("gpg.*.program", "runs a program when signing or verifying"),
    ("pager.*", "runs a program as the pager for a command"),
    ("interactive.difffilter", "runs a program during add -p"),
    ("difftool.*.cmd", "runs a program for difftool"),
    ("mergetool.*.cmd", "runs a program for mergetool"),
    ("browser.*.cmd", "runs a program for help --web"),
    ("man.*.cmd", "runs a program for help"),
    ("remote.*.uploadpack", "runs a program on the remote side of a local fetch"),
    ("remote.*.receivepack", "runs a program on the remote side of a local push"),
    ("uploadpack.packobjectshook", "runs a program when serving fetches"),
    ("protocol.allow", "can allow the ext:: transport, which runs commands"),
    ("protocol.ext.allow", "allows the ext:: transport, which runs commands"),
    ("include.path", "pulls in another config file, possibly one inside the working tree"),
    ("includeif.*.path", "pulls in another config file, possibly one inside the working tree"),
)


@dataclass(frozen=True)
class RiskyKey:
    scope: str
    key: str
    value: str
    why: str

    def describe(self) -> str:
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{self.key} = {shown!r} ({self.scope} config): {self.why}"


def risky(key: str, value: str) -> str | None:
    lower = key.lower()
    if lower == "core.fsmonitor" and value.lower() in ("true", "false", "0", "1", "yes", "no", "on", "off", ""):
        return None  # the built-in daemon (or off): no program of the author's choosing
    if lower.startswith("alias.") and value.lstrip().startswith("!"):
        return "an alias that runs a shell command"
    for pattern, why in DANGEROUS:
        if fnmatch.fnmatchcase(lower, pattern):
            return why
    return None


def risky_keys(repo: GitRepo) -> list[RiskyKey]:
    data = repo.run("config", "--list", "--show-scope", "--includes", "-z").stdout
    items = data.split(b"\0")
    found = []
    for scope, entry in zip(items[0::2], items[1::2]):
        scope_name = scope.decode(errors="replace")
        if scope_name not in ("local", "worktree"):
            continue
        key, _, value = entry.decode(errors="replace").partition("\n")
        why = risky(key, value)
        if why:
            found.append(RiskyKey(scope_name, key, value, why))
    return found
