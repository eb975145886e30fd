"""The credential broker: git tokens kept in a store outside the sandbox, used only by guard.

Modules, each small and importable on its own (nothing here imports ``keyring`` or
``cryptography`` until a store is actually opened, so ``guard run`` pays nothing for them):

``hosts``          what a credential is keyed by: an exact, normalized ``host[:port]``
``store``          the ``Credential`` record, the ``CredentialStore`` interface, its errors and
                   ``open_store(name)`` which picks the OS keyring or the encrypted file
``keyring_store``  the OS keyring (Secret Service, Keychain, Credential Locker) via ``keyring``;
                   refuses the fail, null and plaintext backends
``file_store``     the opt-in AES-GCM file for machines without a keyring
``protocol``       the git credential protocol (``key=value`` lines), strict about injection
``helper``         ``guard credential get/store/erase``: the host-side git helper
``surrogate``      per-session random stand-ins for tokens, the only thing the sandbox sees
``broker``         ``CredentialBroker``: what the proxy asks for a host's real token
``session``        one run's broker: store opened before the sandbox, surrogates filled into the plan
``pktline``        receive-pack commands and the ``ng`` refusal git prints as ``remote:`` lines
``packwalk``       commits read from a pushed pack, to prove a fast-forward
``pushcheck``      ``[git] push`` / ``allow_delete`` / ``allow_force_push`` applied to ref updates
``ca``             the ephemeral, name-constrained session CA for opt-in token injection
The proxy side lives in ``guard.proxy.gitroute`` (the git route) and ``guard.proxy.injection``.
"""
