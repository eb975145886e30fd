"""Load the four layers and merge them into one frozen Policy.

Built-in defaults, then the managed ``/etc/guard/policy.toml``, then the user's
``config.toml``, then the repository's ``sandbox.toml``. Denies add up; an explicit ``false``
in any layer beats a ``true``; the managed layer's backend choice is final. Widening entries
of a repository file that the user has not trusted are withheld and named.
"""

from __future__ import annotations

from pathlib import Path

from guard import paths
from guard.errors import PolicyError
from guard.policy.layer import Layer, parse_layer
from guard.policy.model import BUILTIN, MANAGED, REPO, USER, Origin, Policy, Rule, Setting, Withheld
from guard.policy.schema import KEYS
from guard.policy.trust import TrustStore

_LIST_FIELDS = {
    ("filesystem", "allow_write"): "allow_write",
    ("filesystem", "deny_write"): "deny_write",
    ("filesystem", "deny_read"): "deny_read",
    ("filesystem", "allow_read"): "allow_read",
    ("network", "allow"): "net_allow",
    ("network", "deny"): "net_deny",
    ("network", "allow_local"): "allow_local",
    ("git", "hosts"): "git_hosts",
    ("git", "push"): "git_push",
    ("git", "inject"): "git_inject",
    ("env", "pass"): "env_pass",
}


def _read_layer(file: Path, layer: str) -> Layer | None:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PolicyError(str(file), 1, 1, f"cannot read policy file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(str(file), 1, exc.start + 1, "policy file is not valid UTF-8") from None
    return parse_layer(text, str(file), layer)


def load_policy(start: Path | None = None, *, trust_store: TrustStore | None = None) -> Policy:
    workspace = paths.find_workspace(start or Path.cwd())
    repo_file = workspace / paths.POLICY_FILENAME
    layers: list[Layer] = [Layer(BUILTIN, None)]
    for file, name in ((paths.MANAGED_POLICY, MANAGED), (paths.user_config(), USER), (repo_file, REPO)):
        layer = _read_layer(file, name)
        if layer is not None:
            layers.append(layer)
    trusted = False
    if layers[-1].name == REPO:
        trusted = (trust_store or TrustStore()).is_trusted(repo_file, layers[-1].text.encode())
    return merge(workspace, layers, repo_trusted=trusted,
                 repo_file=repo_file if layers[-1].name == REPO else None)


def merge(workspace: Path, layers: list[Layer], *, repo_trusted: bool, repo_file: Path | None) -> Policy:
    lists: dict[str, list[Rule]] = {name: [] for name in _LIST_FIELDS.values()}
    seen: dict[str, set[str]] = {name: set() for name in lists}
    bools: dict[str, list[tuple[bool, Origin]]] = {"allow_force_push": [], "allow_delete": []}
    env_set: dict[str, Rule] = {}
    backend: dict[str, Rule] = {}
    withheld: list[Withheld] = []

    for layer in layers:
        for (table, key), entries in layer.entries.items():
            spec = KEYS[table][key]
            for value, origin in entries:
                widens = spec.widening and not (spec.kind == "bool" and value is False)
                if layer.name == REPO and widens and not repo_trusted:
                    withheld.append(Withheld(f"{table}.{key}", value, origin))
                    continue
                if (table, key) in _LIST_FIELDS:
                    field = _LIST_FIELDS[(table, key)]
                    if value not in seen[field]:
                        seen[field].add(value)
                        lists[field].append(Rule(value, origin))
                elif spec.kind == "bool":
                    bools[key].append((value, origin))
                elif spec.kind == "map":
                    name, text = value
                    env_set[name] = Rule(text, origin)
                elif spec.kind == "str":
                    if backend.get(key) and backend[key].origin.layer == MANAGED:
                        continue  # the managed layer's choice is final
                    backend[key] = Rule(value, origin)

    def decide(key: str) -> Setting:
        values = bools[key]
        for value, origin in values:
            if value is False:  # an explicit false in any layer forbids it
                return Setting(False, origin)
        if values:
            return Setting(True, values[-1][1])
        return Setting(False, Origin(BUILTIN))

    return Policy(
        workspace=workspace,
        **{name: tuple(rules) for name, rules in lists.items()},
        allow_force_push=decide("allow_force_push"),
        allow_delete=decide("allow_delete"),
        env_set=tuple(env_set.items()),
        backend=tuple(backend.items()),
        repo_file=repo_file,
        repo_trusted=repo_trusted,
        withheld=tuple(withheld),
        layer_files=tuple((layer.name, layer.file) for layer in layers if layer.file),
    )
