"""``guard credential get|store|erase``: git credential helper over guard's credential store.

Use it from the user's own git, outside the sandbox, in one of these forms::

    git config --global credential.https://github.com.helper '!guard credential'
    git config --global credential.https://github.com.helper guard    # via git-credential-guard

(A bare ``guard credential`` without ``!`` would make git run ``git credential-guard
credential``.) Add ``--store file`` to use the encrypted file store. See
``guard.broker.helper`` for exactly what is answered.
"""

from __future__ import annotations

import argparse
import sys

from guard.commands.creds import STORE_HELP


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=None, help=STORE_HELP)
    parser.add_argument("verb", metavar="VERB",
                        help="get, store or erase (sent by git); other verbs are ignored")


def main(args: argparse.Namespace) -> int:
    from guard.broker.helper import GitCredentialHelper
    from guard.broker.protocol import MAX_INPUT
    from guard.broker.store import open_store

    data = sys.stdin.buffer.read(MAX_INPUT + 1)  # always drained: git must never see EPIPE
    out = GitCredentialHelper(lambda: open_store(args.store)).run(args.verb, data)
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    return 0


def git_main() -> None:
    """Entry point of ``git-credential-guard``, so that ``credential.helper = guard`` works."""
    from guard.cli import main as cli_main

    sys.exit(cli_main(["credential", *sys.argv[1:]]))
