"""An HTTP proxy on 127.0.0.1 in front of the test S3 server: counts requests, and can fail a
share of them the ways a real store or network does (500, 503 SlowDown, a connection closed
before or after the request reached the server)."""

from __future__ import annotations

import http.client
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)
INTERNAL = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error. Please try again.</Message></Error>"
)
FAULTS = ("503", "500", "drop-before", "drop-after")


@dataclass
class ProxyState:
    upstream: str
    fault_rate: float = 0.0
    seed: int = 1
    requests: list[tuple[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # of each request, lower-cased
    faults: list[str] = field(default_factory=list)
    ignore_range: int = 0  # the next N Range requests are sent on without Range (a whole 200)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible fault choice, not crypto

    def choose(self, method: str, path: str) -> str:
        with self.lock:
            self.requests.append((method, path))
            if self.rng.random() >= self.fault_rate:
                return "ok"
            fault = self.rng.choice(FAULTS)
            self.faults.append(fault)
            return fault


def _handler(state: ProxyState) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(state.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return None

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            action = state.choose(self.command, self.path)
            with state.lock:
                state.headers.append({k.lower(): v for k, v in self.headers.items()})
                drop_range = state.ignore_range > 0 and "Range" in self.headers
                if drop_range:
                    state.ignore_range -= 1
            if action in ("503", "500"):
                payload = SLOW_DOWN if action == "503" else INTERNAL
                self.send_response(int(action))
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                self.close_connection = True
                return
            if action == "drop-before":
                self.close_connection = True
                return
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            try:
                skip = ("connection", "range") if drop_range else ("connection",)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            finally:
                connection.close()
            if action == "drop-after":  # the server did the work; the client never hears of it
                self.close_connection = True
                return
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in (
                    "transfer-encoding",
                    "connection",
                    "content-length",
                    "server",
                    "date",
                ):
                    self.send_header(name, value)
            if self.command == "HEAD":  # no body, but the object's length is the answer
                self.send_header("Content-Length", response.getheader("Content-Length") or "0")
                self.end_headers()
                return
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

    return Handler


@contextmanager
def proxy(
    upstream: str, *, fault_rate: float = 0.0, seed: int = 1
) -> Iterator[tuple[str, ProxyState]]:
    """Run the proxy; yields its endpoint URL and its state (requests seen, faults made)."""
    state = ProxyState(upstream, fault_rate, seed)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
