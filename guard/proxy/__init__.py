"""The egress proxy: the sandbox's one way out.

An asyncio server that speaks HTTP/1.1 forwarding (absolute-form), ``CONNECT`` tunnels and
SOCKS5 ``CONNECT`` on listening sockets it is handed (created inside the sandbox's network
namespace), and asks the egress plugins about every destination before dialing it.

- ``guard.proxy.target``: a destination as written -> its canonical host (every IPv4 spelling
  that ``inet_aton`` accepts, IPv6, IDNA names); zone ids and malformed hosts refused.
- ``guard.proxy.gate``: one destination -> one decision: name check, a single DNS lookup,
  address check, denial log, learned names.
- ``guard.proxy.http`` (request heads, pure), ``guard.proxy.socks`` (SOCKS5 handshake),
  ``guard.proxy.relay`` (byte pumps with an idle timeout), ``guard.proxy.server`` (the asyncio
  server), ``guard.proxy.thread`` (``ProxyThread``: the server on its own loop in a thread).

This package's ``__init__`` imports nothing, so importing ``guard.proxy.target`` stays cheap.
"""
