"""A PicGo-compatible HTTP server on loopback, safe by default.

Editor plugins (Obsidian's Image auto upload, Typora's PicGo.app mode, SiYuan, Logseq) POST to
PicGo's ``/upload``. PicGo's own server answers any web page (``Access-Control-Allow-Origin: *``,
no token) and uploads any local path it is sent. This one:

- answers only requests whose ``Host`` is a loopback name (a DNS-rebinding page cannot reach it);
- refuses browser requests from origins that are not allow-listed (``app://obsidian.md`` is);
- takes a token (``Authorization: Bearer``, ``X-PicGo-Secret``, ``?key=``/``?secret=``), which
  is required when asked for and whenever it listens beyond loopback;
- uploads listed paths only if every one is an image (sniffed), and nothing otherwise;
- limits request bodies, times out slow clients, and never puts a credential in an answer or
  in its log.
"""

from __future__ import annotations

import email.parser
import email.policy
import hmac
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from b2img.errors import B2ImgError, ConfigError, InputError
from b2img.mediatype import SNIFF_BYTES, sniff
from b2img.sources import Digests, Source, read_source

DEFAULT_PORT = 36677
DEFAULT_ORIGINS = ("app://obsidian.md",)
MAX_BODY = 64 * 1024 * 1024
CLIENT_TIMEOUT = 30.0
DOWNLOAD_TIMEOUT = 20.0
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}
SECRET_PARAMS = ("key", "secret")


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str = ""
    require_token: bool = False
    allowed_origins: frozenset[str] = frozenset(DEFAULT_ORIGINS)
    max_body: int = MAX_BODY


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    files: int = 0


# What the server asks of the rest of b2img: upload these sources with this profile (None: the
# default), returning PicGo result items or raising B2ImgError; and read the clipboard.
Uploader = Callable[[str | None, list[Source]], list[dict[str, Any]]]
ClipboardReader = Callable[[], list[Source]]


def is_loopback(host: str) -> bool:
    return host.lower() in LOOPBACK_NAMES or host.startswith("127.")


class Gate:
    """Decides whether a request may be served, before anything is read or done."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hosts = set(LOOPBACK_NAMES)
        if not is_loopback(settings.host):
            self.hosts.add(settings.host.lower())

    def check(self, method: str, headers: Any, query: dict[str, list[str]]) -> Reply | None:
        host = (headers.get("Host") or "").strip().lower()
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if hostname.startswith("[") and "]" in hostname:
            hostname = hostname[: hostname.index("]") + 1]
        if hostname not in self.hosts and not hostname.startswith("127."):
            return failure(403, "Host not allowed: b2img server answers loopback names only")
        origin = headers.get("Origin")
        if origin is not None and origin not in self.settings.allowed_origins:
            return failure(403, f"origin {origin} is not allowed (see b2img server --allow-origin)")
        if headers.get("Sec-Fetch-Site") == "cross-site" and origin is None:
            return failure(403, "cross-site browser requests are not allowed")
        if method == "OPTIONS":
            return None
        offered = self._offered_token(headers, query)
        token = self.settings.token
        if offered is not None and token and not hmac.compare_digest(offered, token):
            return failure(401, "wrong token")
        if self.settings.require_token and (offered is None or not token):
            return failure(401, "a token is required (Authorization: Bearer …, or ?key=…)")
        return None

    @staticmethod
    def _offered_token(headers: Any, query: dict[str, list[str]]) -> str | None:
        auth = headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return str(auth[7:].strip())
        if headers.get("X-PicGo-Secret"):
            return str(headers.get("X-PicGo-Secret")).strip()
        for name in SECRET_PARAMS:
            if query.get(name):
                return query[name][0]
        return None


def failure(status: int, message: str) -> Reply:
    return Reply(status, {"success": False, "message": message})


def status_for(error: B2ImgError) -> int:
    if isinstance(error, InputError):
        return 400
    if isinstance(error, ConfigError):
        return 500
    return 502


class Handler:
    """Routes one request; independent of the socket so it can be reasoned about alone."""

    def __init__(
        self,
        settings: Settings,
        upload: Uploader,
        clipboard: ClipboardReader,
    ) -> None:
        self.gate = Gate(settings)
        self.settings = settings
        self.upload = upload
        self.clipboard = clipboard

    def __call__(
        self, method: str, target: str, headers: Any, read_body: Callable[[], bytes]
    ) -> Reply:
        parts = urlsplit(target)
        query = parse_qs(parts.query)
        refused = self.gate.check(method, headers, query)
        if refused is not None:
            return refused
        if method == "OPTIONS":
            return Reply(204, {}, _preflight(headers.get("Origin")))
        if parts.path not in ("/upload", "/heartbeat"):
            return failure(404, f"no such endpoint: {parts.path}")
        if method != "POST":
            return Reply(405, {"success": False, "message": "use POST"}, {"Allow": "POST"})
        if parts.path == "/heartbeat":
            return Reply(200, {"success": True, "result": "alive"})
        length = headers.get("Content-Length")
        if headers.get("Transfer-Encoding"):
            return failure(411, "send a Content-Length, not a chunked body")
        if length and int(length) > self.settings.max_body:
            return failure(413, f"request body over {self.settings.max_body // 2**20} MB")
        try:
            sources = self._sources(headers, read_body())
            profile = _profile_from(query)
            items = self.upload(profile, sources)
        except B2ImgError as exc:
            return Reply(status_for(exc), {"success": False, "message": str(exc)})
        urls = [item["imgUrl"] for item in items]
        return Reply(200, {"success": True, "result": urls, "fullResult": items}, files=len(items))

    def _sources(self, headers: Any, body: bytes) -> list[Source]:
        kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            return _multipart(headers.get("Content-Type") or "", body)
        if body.strip() and kind not in ("application/json", ""):
            raise InputError(f"unsupported Content-Type {kind}: send JSON or multipart/form-data")
        listed: list[Any] = []
        if body.strip():
            try:
                document = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise InputError("the body is not valid JSON") from None
            listed = document.get("list", []) if isinstance(document, dict) else []
            if not isinstance(listed, list):
                raise InputError('"list" must be an array of paths or URLs')
        if not listed:
            return self.clipboard()
        # Everything is read and checked before anything is uploaded: one bad entry, no upload.
        return [_load(entry, self.settings.max_body) for entry in listed]


def _profile_from(query: dict[str, list[str]]) -> str | None:
    for name in ("profile", "configName"):
        if query.get(name):
            return query[name][0]
    return None


def _preflight(origin: str | None) -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization, X-PicGo-Secret",
        "Access-Control-Max-Age": "600",
    }
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
    return headers


def _load(entry: Any, limit: int) -> Source:
    if not isinstance(entry, str) or not entry:
        raise InputError('"list" entries must be paths or URLs')
    if entry.startswith(("http://", "https://")):
        return download(entry, limit)
    path = Path(entry[7:] if entry.startswith("file://") else entry)
    if not path.is_absolute():
        raise InputError(f"{entry}: paths must be absolute")
    return read_source(path)


def download(url: str, limit: int) -> Source:
    """An image from the web, refused if it is too large or not an image."""
    if not url.startswith(("http://", "https://")):
        raise InputError(f"{url}: only http(s) URLs are downloaded")
    request = urllib.request.Request(url, headers={"User-Agent": "b2img"})  # noqa: S310
    try:
        # Only http(s) URLs get here (checked by the caller).
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:  # noqa: S310
            data = response.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{url}: download failed ({exc})") from None
    if len(data) > limit:
        raise InputError(f"{url}: larger than {limit:,} bytes, not downloaded")
    return _bytes_source(url, Path(urlsplit(url).path).name or "image", data)


def _bytes_source(label: str, name: str, data: bytes) -> Source:
    media = sniff(data[:SNIFF_BYTES])
    if media is None or not media.raster:
        raise InputError(f"{label} is not an image b2img uploads")
    if "." not in name:
        name = f"{name}.{media.extension}"
    return Source(label, name, media, len(data), data=data, digests=Digests(data=data))


def _multipart(content_type: str, body: bytes) -> list[Source]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InputError("the multipart body could not be read")
    sources = []
    for part in message.iter_parts():
        filename = part.get_filename()
        if not filename:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            raise InputError(f"{filename}: empty upload")
        name = Path(filename.replace("\\", "/")).name or "image"
        sources.append(_bytes_source(name, name, payload))
    if not sources:
        raise InputError('no file in the multipart body (use the field "files" or "file")')
    return sources


# ---- the socket side ----------------------------------------------------------------------------


def safe_target(target: str) -> str:
    """The request target with token values blanked, for the log."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    query = parse_qs(parts.query, keep_blank_values=True)
    for name in SECRET_PARAMS:
        if name in query:
            query[name] = ["***"]
    return f"{parts.path}?{urlencode(query, doseq=True)}"


def serve(
    settings: Settings,
    handler: Handler,
    *,
    log: Callable[[str], None],
    ready: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until interrupted (or ``stop`` is set)."""

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = CLIENT_TIMEOUT  # a slow or silent client only holds its own thread
        # The headers and the body go out as separate writes: with Nagle's algorithm on, the
        # body then waits for the client's delayed ACK, some 40 ms on every keep-alive request.
        disable_nagle_algorithm = True
        server_version = "b2img"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _handle(self) -> None:
            started = time.monotonic()

            def read_body() -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            try:
                reply = handler(self.command, self.path, self.headers, read_body)
            except (ValueError, OSError):
                reply = failure(400, "malformed request")
            origin = self.headers.get("Origin")
            headers = dict(reply.headers)
            if origin and origin in settings.allowed_origins:
                headers.setdefault("Access-Control-Allow-Origin", origin)
                headers.setdefault("Vary", "Origin")
            payload = b"" if reply.status == 204 else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            if reply.status >= 400:
                self.close_connection = True
                self.send_header("Connection", "close")
            self.end_headers()
            if payload:
                self.wfile.write(payload)
            elapsed = (time.monotonic() - started) * 1000
            files = f" {reply.files} file(s)" if reply.files else ""
            log(
                f"{self.client_address[0]} {self.command} {safe_target(self.path)} "
                f"{reply.status}{files} {elapsed:.0f} ms"
            )

        do_POST = do_GET = do_PUT = do_DELETE = do_OPTIONS = _handle

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = False  # a port in use must be an error, not a silent share
        address_family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET

    try:
        server = Server((settings.host, settings.port), RequestHandler)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {settings.host}:{settings.port} ({exc.strerror})",
            hint="another program (PicGo?) may use that port: stop it or pass --port",
        ) from None
    if ready is not None:
        ready(int(server.server_address[1]))
    if stop is not None:

        def stop_when_asked() -> None:
            stop.wait()
            server.shutdown()

        threading.Thread(target=stop_when_asked, daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
