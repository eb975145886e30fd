"""Git hooks and team-shared policy review.

A team keeps ``sandbox.toml`` in version control, so a change that widens it is a security
change. This package makes git say so, on the user's side of the sandbox:

- ``install``: ``guard hooks install`` writes tiny shims into the repository's own hooks
  folder; a hook that was already there is kept and run first (``NAME.pre-guard``).
- ``policydiff``: ``guard policy diff``, each change in words, marked WIDENING or tightening.
- ``precommit``: refuse an untrusted widening, staged changes to always-protected files and
  secrets in the staged diff (``secrets``).
- ``prepush``: the policy's push rules (``pushrules``) for every push from this clone.
- ``postcheckout``: after checkout or merge, show how the policy changed and warn about git
  config keys that run code (``gitconfig``).

Every git call goes through ``gitrepo.GitRepo``, which switches off the config keys that
would run code while guard itself reads the repository.
"""
