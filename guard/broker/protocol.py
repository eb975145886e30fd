"""The git credential protocol: ``key=value`` lines up to a blank line or end of input.

See git-credential(1) and gitcredentials(7). Parsing is deliberately stricter than git's,
because every leniency is an injection vector (CVE-2020-5260, CVE-2024-52006):

- CR, LF, NUL and other control characters are refused anywhere, also after ``url=``
  percent-decoding: ``url=https://github.com%0ahost=evil`` is refused, not split in two lines;
- a single-valued key given twice is refused instead of "last one wins", so a value that
  smuggled a line break cannot override ``host`` or ``protocol``;
- ``url=`` is decomposed like git does, and must agree with any explicit field;
- array keys (``capability[]``, ``wwwauth[]``, ``state[]``) are collected and ignored: guard
  implements no capability, so it advertises none (it never echoes ``capability[]`` back).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from guard.errors import UsageError

MAX_INPUT = 64 * 1024  # git sends well under 1 KiB; a bigger request is not git
_KEY = re.compile(r"[A-Za-z0-9_.-]+(\[\])?")
_URL_PARTS = ("protocol", "host", "username", "path")


class ProtocolError(UsageError):
    """Malformed or hostile helper input; nothing was looked up, stored or erased."""


def _check_value(key: str, value: str) -> None:
    # TAB is legal in HTTP header values that git forwards in wwwauth[]; nothing else below
    # 0x20 is, and CR/LF/NUL are exactly what would let one attribute forge another line.
    bad = next((c for c in value if (ord(c) < 32 and c != "\t") or ord(c) == 127), None)
    if bad is not None:
        raise ProtocolError(f"credential attribute {key!r} contains control character {bad!r}")


@dataclass
class CredentialRequest:
    fields: dict[str, str] = field(default_factory=dict)  # single-valued keys
    arrays: dict[str, list[str]] = field(default_factory=dict)  # "capability[]" -> [...]

    def get(self, key: str) -> str | None:
        return self.fields.get(key)

    def __repr__(self) -> str:  # the password is in here; keep it out of tracebacks
        return f"CredentialRequest(keys={sorted(self.fields)}, arrays={sorted(self.arrays)})"


def parse_request(data: bytes) -> CredentialRequest:
    if len(data) > MAX_INPUT:
        raise ProtocolError(f"credential input longer than {MAX_INPUT} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("credential input is not UTF-8") from None
    request = CredentialRequest()
    for line in text.split("\n"):
        if line == "":
            break  # a blank line ends the request; at EOF the split yields "" too
        key, sep, value = line.partition("=")
        if not sep or not _KEY.fullmatch(key):
            raise ProtocolError(f"malformed credential line (expected key=value): {line[:40]!r}")
        _check_value(key, value)
        if key.endswith("[]"):
            # git: an empty value resets the array.
            request.arrays[key] = request.arrays.get(key, []) + [value] if value else []
        elif key in request.fields:
            raise ProtocolError(f"credential attribute {key!r} given twice (line injection?)")
        else:
            request.fields[key] = value
    if "url" in request.fields:
        _merge_url(request)
    return request


def _merge_url(request: CredentialRequest) -> None:
    url = request.fields.pop("url")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. an unclosed '[' in the host
        raise ProtocolError(f"url= is not a valid URL: {exc}") from None
    if not parts.scheme or not parts.netloc:
        raise ProtocolError(f"url= is not an absolute URL: {url[:60]!r}")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    found = {"protocol": parts.scheme, "host": unquote(hostport)}
    if at:
        found["username"] = unquote(userinfo.partition(":")[0])
    if parts.path.lstrip("/"):
        found["path"] = unquote(parts.path.lstrip("/"))
    for key, value in found.items():
        _check_value(f"url ({key})", value)  # percent-encoded %0a, %0d, %00 end up here
        if key in request.fields and request.fields[key] != value:
            raise ProtocolError(f"url= says {key}={value!r} but {key}={request.fields[key]!r} was also given")
        request.fields[key] = value


def format_response(fields: dict[str, str]) -> bytes:
    """``key=value`` lines; refuses to emit a value that would forge another line."""
    out = []
    for key, value in fields.items():
        if not _KEY.fullmatch(key) or any(c in value for c in "\r\n\0"):
            raise ProtocolError(f"refusing to answer with a line break in {key!r}")
        out.append(f"{key}={value}\n")
    return "".join(out).encode("utf-8")
