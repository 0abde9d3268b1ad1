"""SM.MS, and S.EE's SM.MS-compatible API that replaced it in 2026, over plain HTTPS.

The API: ``POST {api_base}/upload`` with a multipart field ``smfile`` and the token in
``Authorization``; ``GET {api_base}/delete/{hash}``; the upload history at
``{api_base}s`` (S.EE, ``…/api/v1/files``) or ``{api_base}/upload_history`` (legacy v2).

Answers are parsed defensively. Accepted shapes:

- ``{"success": true, "data": {"url": …, "hash": …, "path": …}}`` (``code`` may be
  ``"success"`` or ``200``): uploaded; ``hash`` is kept so the upload can be deleted later;
- ``{"success": false, "code": "image_repeated", "images": URL}`` (or the URL in ``data.url``
  or at the end of ``message``): the service already holds these bytes; its URL is the answer;
- HTTP 401/403, or ``code`` ``unauthorized``: the token was refused (AuthError);
- any other ``success: false``, whatever the HTTP status, is a failure carrying the service's
  message; a body that is not a JSON object is a failure too.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from b2img import __version__
from b2img.backends.base import (
    ByteProgress,
    Payload,
    RemoteObject,
    StoredObject,
    network_reason,
    network_timeout,
)
from b2img.config import SmmsSettings
from b2img.errors import AuthError, B2ImgError, InputError, UploadError

MAX_SIZE = 5 * 1024 * 1024  # SM.MS refuses larger images; S.EE's compatible API keeps the limit
MAX_ATTEMPTS = 3  # a repeated upload is answered with image_repeated, so retrying is safe
RETRY_DELAY = 0.5
FIELD = "smfile"
_RETRY_STATUS = {429, 500, 502, 503, 504}
_AUTH_CODES = {"unauthorized", "invalid_token", "token_invalid"}
_URL_IN_TEXT = re.compile(r"https?://\S+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class _Answer:
    def __init__(self, status: int, document: dict[str, Any] | None) -> None:
        self.status = status
        self.document = document or {}
        self.is_json = document is not None

    @property
    def code(self) -> str:
        return str(self.document.get("code", "")).strip()

    @property
    def data(self) -> dict[str, Any]:
        data = self.document.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def message(self) -> str:
        raw = self.document.get("message") or self.document.get("msg") or self.code
        text = _CONTROL.sub(" ", str(raw or "")).strip()
        return text[:200] or f"HTTP {self.status}"


class SmmsUploader:
    """Uploads to SM.MS / S.EE. The service decides each upload's name and URL."""

    def __init__(self, settings: SmmsSettings, *, token: str, profile: str) -> None:
        self._settings = settings
        self._token = token
        self._profile = profile
        self._timeout = network_timeout()

    # The service names uploads itself: there is no key to look at before uploading.
    def head(self, key: str) -> RemoteObject | None:
        return None

    def list_folder(self, folder: str) -> set[str] | None:
        return None

    def put(self, payload: Payload, *, progress: ByteProgress | None = None) -> StoredObject:
        if payload.size > MAX_SIZE:
            raise InputError(
                f"{payload.label} is {payload.size / 2**20:.1f} MB, over SM.MS's "
                f"{MAX_SIZE // 2**20} MB limit; nothing was sent",
                hint="shrink it (--convert webp, --max-width 2000) or upload it to an S3 profile",
            )
        if payload.data is not None:
            data = payload.data
        elif payload.path is not None:
            data = payload.path.read_bytes()
        else:
            raise UploadError(f"{payload.label}: nothing to upload")
        name = payload.key.rsplit("/", 1)[-1] or "image"
        body, content_type = _multipart(FIELD, name, payload.content_type, data)
        answer = self._request(
            "POST",
            "/upload",
            body=body,
            content_type=content_type,
            action=f"uploading {payload.label}",
        )
        stored = self._stored(answer, payload)
        if progress:
            progress(payload.size)
        return stored

    def _stored(self, answer: _Answer, payload: Payload) -> StoredObject:
        action = f"uploading {payload.label}"
        if answer.code == "image_repeated":
            url = _repeated_url(answer)
            if not url:
                raise UploadError(f"{action}: {self._host} says the image exists but gave no URL")
            return StoredObject(key=_key_of(url, ""), size=payload.size, url=_encoded(url))
        if answer.document.get("success") is not True:
            raise self._failure(answer, action)
        data = answer.data
        url = str(data.get("url") or "")
        if not url.startswith(("https://", "http://")):
            raise UploadError(f"{action}: {self._host} answered success without a link")
        return StoredObject(
            key=_key_of(url, str(data.get("path") or "")),
            size=int(data.get("size") or payload.size),
            url=_encoded(url),
            delete_token=str(data.get("hash") or ""),
        )

    def delete(self, key: str, *, delete_token: str = "") -> int:
        if not delete_token:
            raise InputError(
                f"{key}: SM.MS deletes an upload only with its delete hash, and the history "
                "has none for it",
                hint="delete it on the service's web page",
            )
        action = f"deleting {key}"
        answer = self._request("GET", f"/delete/{quote(delete_token, safe='')}", action=action)
        if answer.document.get("success") is not True:
            raise self._failure(answer, action)
        return 1

    def check(self) -> None:
        base = self._settings.api_base
        # S.EE lists uploads at …/api/v1/files; the legacy v2 API at …/upload_history.
        path = "s" if base.endswith("/file") else "/upload_history"
        answer = self._request("GET", path, action="checking the token")
        if answer.document.get("success") is not True:
            raise self._failure(answer, "checking the token")

    @property
    def _host(self) -> str:
        return self._settings.host

    def _request(
        self,
        method: str,
        path: str,
        *,
        action: str,
        body: bytes | None = None,
        content_type: str = "",
    ) -> _Answer:
        url = self._settings.api_base + path
        headers = {
            "Authorization": self._token,
            "User-Agent": f"b2img/{__version__}",
            "Accept": "application/json",
        }
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in range(1, MAX_ATTEMPTS + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 - api_base is checked to be http(s)
            try:
                with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                    status, raw = response.status, response.read()
            except urllib.error.HTTPError as exc:
                status, raw = exc.code, exc.read()
            except (OSError, ValueError) as exc:
                if attempt < MAX_ATTEMPTS:
                    time.sleep(RETRY_DELAY * 2 ** (attempt - 1))
                    continue
                raise UploadError(
                    f"cannot reach {self._host} while {action} ({network_reason(exc)})",
                    hint="check api_base and your network connection",
                ) from None
            if status in _RETRY_STATUS and attempt < MAX_ATTEMPTS:
                time.sleep(RETRY_DELAY * 2 ** (attempt - 1))
                continue
            return _Answer(status, _json_object(raw))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _failure(self, answer: _Answer, action: str) -> B2ImgError:
        if answer.status in (401, 403) or answer.code.lower() in _AUTH_CODES:
            return AuthError(
                f"{self._host} refused the token of profile '{self._profile}' while {action} "
                f"({answer.message})",
                hint=f"check the token (b2img profile show {self._profile}); "
                "S.EE issues tokens in its dashboard",
            )
        if not answer.is_json:
            return UploadError(
                f"{action} failed: {self._host} answered HTTP {answer.status} without JSON",
                hint=f"check api_base (b2img profile show {self._profile})",
            )
        return UploadError(f"{action} failed: {self._host} said: {answer.message}")


def _multipart(field: str, filename: str, content_type: str, data: bytes) -> tuple[bytes, str]:
    boundary = "b2img-" + secrets.token_hex(16)
    safe_name = filename.replace("\\", "_").replace('"', "_").replace("\r", "").replace("\n", "")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{safe_name}"\r\n'
        f"Content-Type: {content_type or 'application/octet-stream'}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + data + tail, f"multipart/form-data; boundary={boundary}"


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _repeated_url(answer: _Answer) -> str:
    images = answer.document.get("images")
    candidates: list[Any] = [*images] if isinstance(images, list) else [images]
    candidates += [answer.data.get("url")]
    found = _URL_IN_TEXT.findall(str(answer.document.get("message") or ""))
    candidates += [found[-1].rstrip(".,;)")] if found else []
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.startswith(("https://", "http://")):
            return candidate
    return ""


def _encoded(url: str) -> str:
    """The service's URL with what a URL may not hold raw (spaces, CJK) percent-encoded, as
    every b2img link is; what is already encoded stays as it is."""
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _key_of(url: str, path: str) -> str:
    """What the history files an SM.MS upload under: its path on the image host."""
    return (path or unquote(urlsplit(url).path)).lstrip("/")
