"""The request-head parser and the host canonicalizer, fuzzed with hypothesis."""

from __future__ import annotations

import socket

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from guard.proxy.http import (BadRequest, Body, absolute_target, body_framing, parse_head,
                              upstream_head)
from guard.proxy.target import canonical_host, parse_ipv4

LINE_BITS = st.sampled_from(["GET", "POST", "CONNECT", " ", "\r", "\n", "\r\n", ":", "Host", "http://",
                             "a.example", "HTTP/1.1", "HTTP/1.0", "\x00", "\t", "Content-Length", "5",
                             "Transfer-Encoding", "chunked", "/", "@", "%", "\x85", "\xff"])
HEADS = st.lists(st.one_of(LINE_BITS, st.text(max_size=8)), max_size=40).map(
    lambda parts: ("".join(parts) + "\r\n\r\n").encode("utf-8", "surrogatepass"))


@settings(max_examples=1500)
@given(HEADS)
@example(b"GET http://a/ HTTP/1.1\r\nX: a\rb\r\n\r\n")
@example(b"GET http://a/ HTTP/1.1\r\n folded\r\n\r\n")
def test_parser_refuses_or_returns_clean_fields(data):
    try:
        head = parse_head(data)
    except BadRequest as exc:
        assert exc.status in (400, 431, 505)
        return
    for text in (head.method, head.target, head.version, *(n for n, _ in head.headers), *(v for _, v in head.headers)):
        assert not any(c in text for c in "\r\n\x00")


@settings(max_examples=1500)
@given(HEADS)
def test_rewritten_head_is_exactly_one_clean_request(data):
    try:
        head = parse_head(data)
        host, port, path = absolute_target(head.target)
        body = body_framing(head)
    except BadRequest:
        return
    out = upstream_head(head, path, host, body)
    assert out.endswith(b"\r\n\r\n") and out.count(b"\r\n\r\n") == 1
    lines = out[:-4].split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert lines[0] == f"{head.method} {path} {head.version}".encode("latin-1")
    names = [line.split(b":", 1)[0].lower() for line in lines[1:]]
    assert names.count(b"host") == 1 and names.count(b"connection") == 1
    assert b"proxy-authorization" not in names


@settings(max_examples=1000)
@given(st.text(max_size=60))
def test_absolute_target_only_refuses(text):
    try:
        host, port, path = absolute_target(text)
    except BadRequest:
        return
    assert 1 <= port <= 65535 and path.startswith("/")
    assert "@" not in host and "%" not in host and "\\" not in host


def test_body_framing_refuses_ambiguity():
    def framing(*headers):
        return body_framing(parse_head(b"POST http://a/ HTTP/1.1\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"))

    assert framing(b"Content-Length: 5") == Body(length=5)
    assert framing(b"Content-Length: 5", b"Content-Length: 5") == Body(length=5)
    assert framing(b"Transfer-Encoding: chunked") == Body(chunked=True)
    for bad in ([b"Content-Length: 5", b"Transfer-Encoding: chunked"], [b"Content-Length: 5", b"Content-Length: 6"],
                [b"Content-Length: -1"], [b"Content-Length: 0x10"], [b"Transfer-Encoding: chunked, gzip"],
                [b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"], [b"Content-Length: 5, 6"]):
        with pytest.raises(BadRequest):
            framing(*bad)


# ---- the canonical host: agrees with inet_aton, idempotent, refuses rather than guesses -----

NUMERIC = st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=20)


@settings(max_examples=3000)
@given(NUMERIC)
@example("0x7f.1")
@example("2130706433")
@example("0177.0.0.1")
@example("127.1")
@example("0x")
@example("1.0x")
def test_whatever_inet_aton_reads_as_an_address_is_that_address_here(text):
    try:
        packed = socket.inet_aton(text)
    except OSError:
        packed = None
    try:
        ours = canonical_host(text)
    except ValueError:
        ours = None
    if packed is not None:
        # Never a name that the resolver would read as an address: same address, or refused.
        assert ours in (socket.inet_ntoa(packed), None), (text, ours)
        assert ours is not None or text.endswith("."), text


@settings(max_examples=2000)
@given(st.text(max_size=40))
def test_canonical_host_is_idempotent_and_only_raises_valueerror(text):
    try:
        host = canonical_host(text)
    except ValueError:
        return
    assert canonical_host(host) == host
    assert host == host.lower() and host.isascii() and not host.endswith(".")


@pytest.mark.parametrize("text, expected", [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                                            ("127.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
                                            ("0x7F.0.0.1", "127.0.0.1"), ("1.2.3", "1.2.0.3"),
                                            ("example.com", None), ("1.2.3.example", None)])
def test_parse_ipv4_spellings(text, expected):
    assert parse_ipv4(text) == expected
