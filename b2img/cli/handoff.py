"""Handing uploads to a running `b2img server` (opt-in with B2IMG_SERVER).

A cold process spends most of a single upload setting up the S3 client; a running server has
one ready. When B2IMG_SERVER names a b2img server, plain `b2img upload FILE…` invocations send
the paths there and render the answers exactly as a local upload would. Anything that is not a
b2img server, or does not answer at once, means uploading directly instead.
"""

import http.client
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from . import output

if TYPE_CHECKING:
    from b2img.links import LinkFormat
    from b2img.outcomes import Outcome

SERVER_ENV = "B2IMG_SERVER"
TOKEN_ENV = "B2IMG_SERVER_TOKEN"  # noqa: S105 - a variable name, not a secret
CONNECT_TIMEOUT = 0.5
UPLOAD_TIMEOUT = 300.0


def upload(profile: str, paths: Sequence[Path], fmt: "LinkFormat") -> list["Outcome"] | None:
    """The outcomes from the server, or None when it cannot take the uploads."""
    target = os.environ.get(SERVER_ENV, "")
    parts = urlsplit(target)
    if parts.scheme != "http" or not parts.hostname:
        output.warn(f"{SERVER_ENV}={target!r} is not an http:// URL; uploading directly")
        return None
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port or 80, timeout=CONNECT_TIMEOUT
    )
    headers = {"Content-Type": "application/json"}
    if os.environ.get(TOKEN_ENV):
        headers["Authorization"] = f"Bearer {os.environ[TOKEN_ENV]}"
    outcomes: list[Outcome] = []
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(UPLOAD_TIMEOUT)
        for path in paths:
            body = json.dumps({"list": [str(path.resolve())]})
            connection.request("POST", f"/upload?profile={quote(profile)}", body, headers)
            response = connection.getresponse()
            raw = response.read()
            if not (response.getheader("Server") or "").startswith("b2img"):
                output.warn(f"{target} is not a b2img server; uploading directly")
                return None
            outcomes.append(_outcome(path, response.status, raw, fmt))
    except OSError:
        if outcomes:
            raise
        return None
    finally:
        connection.close()
    return outcomes


def _outcome(path: Path, status: int, raw: bytes, fmt: "LinkFormat") -> "Outcome":
    from b2img.errors import AuthError, B2ImgError, ConfigError, InputError, UploadError
    from b2img.outcomes import Failed, Uploaded

    try:
        answer: dict[str, Any] = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        answer = {}
    if status != 200 or not answer.get("success"):
        error_class: type[B2ImgError] = {400: InputError, 500: ConfigError}.get(
            status, AuthError if status in (401, 403) else UploadError
        )
        message = str(answer.get("message") or f"the server answered HTTP {status}")
        return Failed(str(path), error_class(f"{message} (via {os.environ.get(SERVER_ENV)})"))
    (item,) = answer["fullResult"]
    width = height = None
    if fmt.needs_size:
        from b2img.imaging import dimensions

        size = dimensions(path.read_bytes())
        width, height = size if size else (None, None)
    key = str(item["key"])
    link = fmt.render(url=item["imgUrl"], name=path.stem, key=key, width=width, height=height)
    return Uploaded(
        source=str(path),
        key=key,
        url=str(item["imgUrl"]),
        link=link,
        size=int(item.get("size", 0)),
        content_type=str(item.get("contentType", "")),
    )
