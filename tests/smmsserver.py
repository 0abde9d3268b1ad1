"""A loopback HTTP server speaking the SM.MS v2 and S.EE (SM.MS-compatible) upload API.

It keeps what it was sent (field name, file name, headers, bytes), so tests assert on what the
service received, and serves the stored images at the URLs it hands out.

- ``POST /api/v1/file/upload`` (S.EE) and ``POST /api/v2/upload`` (legacy): multipart, field
  ``smfile`` (S.EE also takes ``file``), the token in ``Authorization``;
- ``GET …/delete/<hash>``, ``GET /api/v1/files`` and ``GET /api/v2/upload_history``;
- ``GET /i/<path>``: the image.

Knobs for failures: ``script`` is a list of canned answers (status, body) used, one per upload
request, before normal service resumes.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

SEE_BASE = "/api/v1/file"
LEGACY_BASE = "/api/v2"
LIMIT = 5 * 1024 * 1024


@dataclass
class Received:
    path: str
    field: str
    filename: str
    content_type: str
    data: bytes
    headers: dict[str, str]


@dataclass
class Image:
    data: bytes
    content_type: str
    path: str
    hash: str
    sha256: str


@dataclass
class SmmsState:
    token: str
    url: str = ""
    received: list[Received] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    images: dict[str, Image] = field(default_factory=dict)  # by path
    deleted: list[str] = field(default_factory=list)
    script: list[tuple[int, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def api(self, base: str = SEE_BASE) -> str:
        return self.url + base


def _answer(ok: bool, legacy: bool, **extra: Any) -> dict[str, Any]:
    code: Any = ("success" if legacy else 200) if ok else extra.pop("code", "error")
    return {"success": ok, "code": code, "RequestId": secrets.token_hex(8), **extra}


class _Handler(BaseHTTPRequestHandler):
    state: SmmsState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, document: dict[str, Any]) -> None:
        self._send(status, json.dumps(document).encode())

    def _authorized(self, legacy: bool) -> bool:
        offered = self.headers.get("Authorization", "")
        if offered.removeprefix("Basic ").strip() == self.state.token:
            return True
        self._json(
            401,
            _answer(False, legacy, code="unauthorized", message="Authorization failed."),
        )
        return False

    def do_GET(self) -> None:
        state = self.state
        with state.lock:
            state.requests.append(("GET", self.path, dict(self.headers.items())))
        if self.path.startswith("/i/"):
            image = state.images.get(unquote(self.path[len("/i") :]))
            if image is None:
                self._send(404, b"not found", "text/plain")
            else:
                self._send(200, image.data, image.content_type)
            return
        legacy = self.path.startswith(LEGACY_BASE)
        base = LEGACY_BASE if legacy else SEE_BASE
        if self.path in (f"{LEGACY_BASE}/upload_history", f"{SEE_BASE}s"):
            if self._authorized(legacy):
                listing = [{"hash": i.hash, "path": i.path} for i in state.images.values()]
                self._json(200, _answer(True, legacy, data=listing, message="ok"))
            return
        if self.path.startswith(f"{base}/delete/"):
            if not self._authorized(legacy):
                return
            wanted = self.path.rsplit("/", 1)[-1]
            with state.lock:
                found = next((p for p, i in state.images.items() if i.hash == wanted), None)
                if found is not None:
                    del state.images[found]
                    state.deleted.append(found)
            if found is None:
                self._json(200, _answer(False, legacy, code="error", message="File not found."))
            else:
                self._json(200, _answer(True, legacy, message="File delete success."))
            return
        self._send(404, b"no such endpoint", "text/plain")

    def do_POST(self) -> None:
        state = self.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with state.lock:
            state.requests.append(("POST", self.path, dict(self.headers.items())))
        legacy = self.path.startswith(LEGACY_BASE)
        base = LEGACY_BASE if legacy else SEE_BASE
        if self.path not in (f"{SEE_BASE}/upload", f"{LEGACY_BASE}/upload"):
            self._send(404, b"no such endpoint", "text/plain")
            return
        with state.lock:
            canned = state.script.pop(0) if state.script else None
        if canned is not None:
            self._send(canned[0], canned[1])
            return
        if not self._authorized(legacy):
            return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers.get("Content-Type", "").encode() + b"\r\n\r\n" + body
        )
        parts = (
            [p for p in message.iter_parts() if p.get_filename()] if message.is_multipart() else []
        )
        names = ("smfile",) if legacy else ("smfile", "file")
        part = next(
            (p for p in parts if p.get_param("name", header="content-disposition") in names), None
        )
        if part is None:
            self._json(400, _answer(False, legacy, code="error", message="No files were uploaded."))
            return
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        received = Received(
            path=self.path,
            field=str(part.get_param("name", header="content-disposition")),
            filename=str(part.get_filename()),
            content_type=part.get_content_type(),
            data=data,
            headers=dict(self.headers.items()),
        )
        with state.lock:
            state.received.append(received)
        if len(data) > LIMIT:
            self._json(413, _answer(False, legacy, code="error", message="File is too large."))
            return
        sha = hashlib.sha256(data).hexdigest()
        with state.lock:
            existing = next((i for i in state.images.values() if i.sha256 == sha), None)
            if existing is None:
                now = datetime.now()
                path = f"/{now:%Y/%m/%d}/{secrets.token_hex(3)}/{received.filename}"
                image = Image(data, received.content_type, path, secrets.token_hex(10), sha)
                state.images[path] = image
        if existing is not None:
            url = f"{state.url}/i{existing.path}"
            self._json(
                200,
                _answer(
                    False,
                    legacy,
                    code="image_repeated",
                    message=f"Image upload repeated limit, this image exists at: {url}",
                    images=url,
                ),
            )
            return
        url = f"{state.url}/i{image.path}"
        self._json(
            200,
            _answer(
                True,
                legacy,
                message="Upload success.",
                data={
                    "file_id": len(state.images),
                    "filename": received.filename,
                    "storename": received.filename,
                    "size": len(data),
                    "path": image.path,
                    "hash": image.hash,
                    "url": url,
                    "delete": state.api(base) + f"/delete/{image.hash}",
                },
            ),
        )


@contextmanager
def running(token: str = "smms-test-token") -> Iterator[SmmsState]:
    state = SmmsState(token=token)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
