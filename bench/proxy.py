"""Egress proxy benchmark: the same transfers direct on loopback and through the proxy.

One run measures, against a loopback upstream in its own process:

- bulk: one large download (``--bulk-mb``, default 200 MB), direct and through CONNECT,
  plain HTTP forwarding and SOCKS5, best of ``--rounds``;
- small: ``--small`` sequential requests, each on a new connection (a new tunnel through
  the proxy), median and p90 latency;
- held: ``--held`` concurrent CONNECT tunnels open at once, and the proxy process's memory;
- floor: the same CONNECT requests through a bare asyncio relay (no checks, no timeouts, no
  streams) on its own loop in this process: what this machine's loopback, scheduler and
  asyncio cost per tunnel before guard does anything, so "+N ms" can be read against it.

The proxy runs as ``guard run`` runs it: ``ProxyThread`` in this process; the client and the
upstream are separate processes, so the three do not share one interpreter lock. Prints
numbers and ratios; no thresholds (see issue 4 for the goals).

    .venv/bin/python bench/proxy.py [--bulk-mb 200] [--small 2000] [--held 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UPSTREAM = textwrap.dedent('''
    import asyncio, resource, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    BLOCK = b"x" * (1 << 20)
    async def handle(reader, writer):
        try:
            line = await reader.readline()
            while (await reader.readline()) not in (b"\\r\\n", b""):
                pass
            path = line.split()[1].decode()
            if path.startswith("/bulk/"):
                size = int(path.split("/")[2])
                writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % size)
                while size:
                    n = min(size, len(BLOCK))
                    writer.write(BLOCK[:n]); size -= n
                    await writer.drain()
            elif path == "/hold":
                writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
                await reader.read()
            else:
                writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
            await writer.drain()
        except Exception:
            pass
        finally:
            writer.close()
    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()
    asyncio.run(main())
''')

CLIENT = textwrap.dedent('''
    import json, resource, socket, struct, sys, time
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    mode, proxy_port, port, path, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])

    def read_head(s):
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                raise SystemExit("connection closed during head: %r" % data[:200])
            data += chunk
        head, rest = data.split(b"\\r\\n\\r\\n", 1)
        return head, rest

    def open_(mode):
        if mode == "direct":
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET %s HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % (path.encode(), port))
            return s
        s = socket.create_connection(("127.0.0.1", proxy_port))
        if mode == "connect":
            s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % (port, port))
            head, rest = read_head(s)
            assert head.startswith(b"HTTP/1.1 200"), head
            s.sendall(b"GET %s HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % (path.encode(), port))
        elif mode == "http":
            s.sendall(b"GET http://127.0.0.1:%d%s HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % (port, path.encode(), port))
        elif mode == "socks5":
            s.sendall(b"\\x05\\x01\\x00")
            assert s.recv(2) == b"\\x05\\x00"
            s.sendall(b"\\x05\\x01\\x00\\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", port))
            reply = b""
            while len(reply) < 10:
                reply += s.recv(10 - len(reply))
            assert reply[1] == 0, reply
            s.sendall(b"GET %s HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n\\r\\n" % (path.encode(), port))
        return s

    def fetch(mode):
        s = open_(mode)
        total = 0
        buf = bytearray(1 << 20)
        while True:
            n = s.recv_into(buf)
            if not n:
                break
            total += n
        s.close()
        return total

    if path == "/hold":
        held = []
        for _ in range(count):
            s = open_(mode)
            head, rest = read_head(s)
            assert head.startswith(b"HTTP/1.1 200"), head
            held.append(s)
        print(json.dumps({"held": len(held)}), flush=True)
        sys.stdin.readline()
        sys.exit(0)
    times = []
    for _ in range(count):
        start = time.perf_counter()
        size = fetch(mode)
        times.append(time.perf_counter() - start)
    print(json.dumps({"times": times, "bytes": size}))
''')


class _BareRelay:
    """A CONNECT relay with nothing but the relaying: the floor the real proxy is measured on."""

    def __init__(self) -> None:
        import asyncio
        import threading

        class Relay(asyncio.Protocol):
            peer = None

            def connection_made(self, transport):
                self.transport, self.head = transport, b""

            def data_received(self, data):
                if self.peer is not None:
                    self.peer.transport.write(data)
                    return
                self.head += data
                if b"\r\n\r\n" in self.head:
                    host, port = self.head.split()[1].decode().rsplit(":", 1)
                    asyncio.ensure_future(self.dial(host, int(port)))

            async def dial(self, host, port):
                _, other = await asyncio.get_running_loop().create_connection(Relay, host, port)
                other.peer, self.peer = self, other
                self.transport.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

            def eof_received(self):
                if self.peer is not None:
                    self.peer.transport.write_eof()
                return True

            def connection_lost(self, exc):
                if self.peer is not None:
                    self.peer.transport.close()

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4096)
        self.port = self.listener.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            self.loop.run_until_complete(self.loop.create_server(Relay, sock=self.listener))
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def client(script: Path, mode: str, proxy_port: int, port: int, path: str, count: int) -> dict:
    out = subprocess.run([sys.executable, str(script), mode, str(proxy_port), str(port), path, str(count)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bulk-mb", type=int, default=200)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--held", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from guard.denials import DenialLog
    from guard.plugins import Plugins
    from guard.policy.layer import Layer, parse_layer
    from guard.policy.load import merge
    from guard.policy.model import BUILTIN, REPO
    from guard.proxy.thread import ProxyThread

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = Path(tempfile.mkdtemp(prefix="guard-bench-"))
    (tmp / "upstream.py").write_text(UPSTREAM)
    script = tmp / "client.py"
    script.write_text(CLIENT)
    upstream = subprocess.Popen([sys.executable, str(tmp / "upstream.py")], stdout=subprocess.PIPE, text=True)
    try:
        port = int(upstream.stdout.readline())
        text = f'version = 1\n[network]\nallow_local = ["127.0.0.1:{port}"]\n'
        (tmp / "sandbox.toml").write_text(text)
        policy = merge(tmp, [Layer(BUILTIN, None), parse_layer(text, str(tmp / "sandbox.toml"), REPO)],
                       repo_trusted=True, repo_file=tmp / "sandbox.toml")
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4096)
        proxy_port = listener.getsockname()[1]
        proxy = ProxyThread(policy, Plugins.load(), [listener], log=DenialLog(tmp / "denials.jsonl"))
        proxy.start()
        try:
            run(args, script, proxy, proxy_port, port)
        finally:
            proxy.stop()
    finally:
        upstream.kill()
        upstream.wait()
    return 0


def run(args, script: Path, proxy, proxy_port: int, port: int) -> None:
    modes = ("direct", "connect", "http", "socks5")
    size = args.bulk_mb * 1024 * 1024
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; upstream and client in their own processes")
    print(f"\nbulk: {args.bulk_mb} MB download, best of {args.rounds}")
    speeds = {}
    for mode in modes:
        best = min(client(script, mode, proxy_port, port, f"/bulk/{size}", 1)["times"][0] for _ in range(args.rounds))
        speeds[mode] = size / best / 1e6
        ratio = speeds[mode] / speeds["direct"]
        print(f"  {mode:8} {speeds[mode]:9.1f} MB/s   {ratio:6.2f} x direct")

    print(f"\nsmall: {args.small} requests, a new connection (and tunnel) each")
    medians = {}
    for mode in modes:
        times = client(script, mode, proxy_port, port, "/small", args.small)["times"]
        medians[mode] = statistics.median(times) * 1e3
        p90 = statistics.quantiles(times, n=10)[-1] * 1e3
        added = medians[mode] - medians["direct"]
        print(f"  {mode:8} median {medians[mode]:7.3f} ms  p90 {p90:7.3f} ms   "
              f"{medians[mode] / medians['direct']:5.2f} x direct  (+{added:.3f} ms)")

    bare = _BareRelay()
    try:
        times = client(script, "connect", bare.port, port, "/small", args.small)["times"]
        best = min(client(script, "connect", bare.port, port, f"/bulk/{size}", 1)["times"][0]
                   for _ in range(args.rounds))
    finally:
        bare.stop()
    floor = statistics.median(times) * 1e3
    print(f"  floor    median {floor:7.3f} ms   (+{floor - medians['direct']:.3f} ms) for a bare asyncio "
          f"CONNECT relay; guard's connect adds {medians['connect'] - floor:+.3f} ms over it")
    print(f"  floor    bulk {size / best / 1e6:9.1f} MB/s   {size / best / 1e6 / speeds['direct']:6.2f} x direct")

    print(f"\nheld: {args.held} concurrent CONNECT tunnels")
    before = rss_kib()
    holder = subprocess.Popen([sys.executable, str(script), "connect", str(proxy_port), str(port), "/hold",
                               str(args.held)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = holder.stdout.readline()
    held = json.loads(line)["held"] if line else 0
    during = rss_kib()
    connections = proxy.server.connections if proxy.server else -1
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait()
    print(f"  tunnels held {held}, proxy connections {connections}, "
          f"proxy process RSS {before / 1024:.1f} -> {during / 1024:.1f} MiB "
          f"({(during - before) / max(held, 1):.1f} KiB per tunnel)")


if __name__ == "__main__":
    raise SystemExit(main())
