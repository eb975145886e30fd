"""``guard creds set/get/list/rm HOST``: tokens in the OS keyring (or the encrypted file).

The secret is read from stdin when stdin is not a terminal, else from a hidden prompt; never
from the command line, where it would land in shell history and in /proc/PID/cmdline.
``get`` prints the token only where it cannot be shoulder-surfed or left in a terminal's
scrollback by accident: when stdout is a pipe or a file, or with ``--show``.
"""

from __future__ import annotations

import argparse
import re
import sys

from guard.errors import UsageError

STORE_HELP = ("where tokens live: 'keyring' (the OS keyring, the default) or 'file' (an encrypted "
              "file for machines without a keyring; passphrase from a prompt or "
              "GUARD_CREDS_PASSPHRASE). Default: $GUARD_CREDS_STORE, else keyring")
# Prefixes of well-known token formats: a "host" like these was meant to be the secret.
_TOKEN_LIKE = re.compile(r"^(gh[pousr]_|github_pat_|glpat-|xox[abp]-|sk-|AKIA)", re.IGNORECASE)


class _NoEchoParser(argparse.ArgumentParser):
    """Counts stray arguments instead of echoing them: one of them may be a pasted token."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        namespace.stray = getattr(namespace, "stray", 0) + len(extras)
        return namespace, []

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(2, f"guard: error: {message}\n")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=None, help=STORE_HELP)
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=_NoEchoParser)
    specs = {
        "set": "store the token for HOST (read from stdin, or a hidden prompt)",
        "get": "print the token for HOST (only to a pipe or file, unless --show)",
        "list": "list the hosts that have a token",
        "rm": "delete the token for HOST",
    }
    for action, help_text in specs.items():
        p = sub.add_parser(action, help=help_text, description=help_text)
        p.add_argument("--store", default=argparse.SUPPRESS, help=STORE_HELP)
        if action != "list":
            p.add_argument("host", metavar="HOST", help="host name, or host:port (exact match)")
        if action == "set":
            p.add_argument("--username", help="username sent with the token (default: any username "
                                              "git asks with, else x-access-token)")
            p.add_argument("--protocol", choices=("https", "http"), default="https",
                           help="serve the token to git over this protocol only (default https)")
        if action == "get":
            p.add_argument("--show", action="store_true", help="print the token even on a terminal")


def _host(text: str) -> str:
    from guard.broker.hosts import normalize_credential_host

    if "." not in text and (_TOKEN_LIKE.match(text) or len(text) >= 30):
        raise UsageError("HOST looks like a token, not a host name; the secret is never taken from "
                         "the command line", hint="if it was a token, revoke it: it is in your shell history")
    try:
        return normalize_credential_host(text)
    except ValueError as exc:
        raise UsageError(f"HOST: {exc}", hint="give a host name such as github.com, or host:port") from None


def read_secret(host: str) -> str:
    """One line from stdin when it is not a terminal, else a hidden prompt."""
    from guard.broker.store import MAX_SECRET, check_secret

    if sys.stdin is None:
        raise UsageError("no stdin to read the secret from")
    if sys.stdin.isatty():
        import getpass

        try:
            secret = getpass.getpass(f"Token for {host} (input hidden): ")
        except EOFError:
            raise UsageError("no secret entered; nothing was stored") from None
    else:
        secret = sys.stdin.read(MAX_SECRET + 3)
        # Exactly one final line ending is the pipe's, not the token's (`echo`, `gh auth token`).
        for ending in ("\r\n", "\n"):
            if secret.endswith(ending):
                secret = secret[: -len(ending)]
                break
    return check_secret(secret)


def main(args: argparse.Namespace) -> int:
    if args.action is None:
        raise UsageError("choose an action: guard creds set|get|list|rm HOST")
    if getattr(args, "stray", 0):
        raise UsageError(
            f"guard creds {args.action} got {args.stray} unexpected argument(s), refused and not "
            "shown in case one is a token; the secret is only ever read from stdin or a prompt",
            hint="if you typed a token on the command line, revoke it (it is in your shell history) "
                 "and pipe the new one: `guard creds set HOST < token-file`",
        )
    from guard.broker.store import Credential, check_username, open_store

    host = _host(args.host) if args.action != "list" else None
    if args.action == "set" and args.username is not None:
        check_username(args.username)
    store = open_store(args.store)
    err = sys.stderr
    if args.action == "set":
        store.hosts()  # a refused, locked or undecryptable store fails here, before the paste
        credential = Credential(host, read_secret(host), args.username, args.protocol)
        store.set(credential)
        print(f"stored the token for {host} in {store.describe()}", file=err)
        return 0
    if args.action == "get":
        found = store.get(host)
        if found is None:
            print(f"guard: no token stored for {host} in {store.describe()}", file=err)
            return 1
        if sys.stdout.isatty() and not args.show:
            print(f"a token is stored for {host} ({len(found.secret)} characters) in {store.describe()};"
                  f" not printed on a terminal: pipe it (guard creds get {host} | ...) or add --show",
                  file=err)
            return 0
        sys.stdout.write(found.secret + "\n")
        return 0
    if args.action == "rm":
        if not store.delete(host):
            print(f"guard: no token stored for {host} in {store.describe()}", file=err)
            return 1
        print(f"removed the token for {host} from {store.describe()}", file=err)
        return 0
    hosts = store.hosts()
    missing = set(store.missing()) if hasattr(store, "missing") else set()
    print(f"# {store.describe()}: {len(hosts)} host(s)", file=err)
    for name in hosts:
        print(name + ("  (entry missing: deleted outside guard? run `guard creds rm` or set it again)"
                      if name in missing else ""))
    return 0
