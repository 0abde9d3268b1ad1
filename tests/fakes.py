"""A hand-written in-memory backend implementing the Uploader protocol, for logic tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from b2img.backends.base import ByteProgress, Payload, RemoteObject, StoredObject
from b2img.config import Profile, parse_profile


def fake_profile(upload_path: str) -> Profile:
    """A profile for logic tests: nothing it names is ever contacted."""
    return parse_profile(
        "t",
        {
            "endpoint": "https://s3.us-west-004.backblazeb2.com",
            "bucket": "b",
            "access_key_id": "k",
            "secret_access_key": "s",
            "upload_path": upload_path,
            "url_prefix": "https://img.example.com",
        },
    )


@contextmanager
def web_server(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on loopback; yields the base URL."""
    import threading

    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class FakeStore:
    """Keys in ``fail`` raise their error on HEAD and on PUT."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.objects: dict[str, tuple[bytes, str]] = {}  # key -> (bytes, sha256)
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def head(self, key: str) -> RemoteObject | None:
        with self.lock:
            self.requests.append(("HEAD", key))
            if key in self.fail:
                raise self.fail[key]
            if key not in self.objects:
                return None
            data, sha = self.objects[key]
            return RemoteObject(key=key, size=len(data), sha256=sha)

    def list_folder(self, folder: str) -> set[str] | None:
        prefix = f"{folder}/" if folder else ""
        with self.lock:
            self.requests.append(("LIST", folder))
            return {k for k in self.objects if k.startswith(prefix) and "/" not in k[len(prefix) :]}

    def put(self, payload: Payload, *, progress: ByteProgress | None = None) -> StoredObject:
        data = payload.data if payload.data is not None else payload.path.read_bytes()  # type: ignore[union-attr]
        with self.lock:
            if payload.key in self.fail:  # the store refuses this key's upload
                self.requests.append(("PUT-REFUSED", payload.key))
                raise self.fail[payload.key]
            self.requests.append(("PUT", payload.key))
            self.objects[payload.key] = (data, payload.sha256)
        if progress:
            progress(len(data))
        return StoredObject(key=payload.key, size=len(data), version_id=f"v-{payload.key}")

    def delete(self, key: str, *, delete_token: str = "") -> int:
        with self.lock:
            self.requests.append(("DELETE", key))
            return 1 if self.objects.pop(key, None) is not None else 0

    def check(self) -> None:
        return None

    def puts(self) -> list[str]:
        return [key for method, key in self.requests if method == "PUT"]
