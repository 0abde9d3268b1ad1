"""Handing uploads to a running `b2img server` (opt-in with B2IMG_SERVER).

A cold process spends most of a single upload setting up the S3 client; a running server has
one ready. When B2IMG_SERVER names a b2img server, plain `b2img upload FILE…` invocations send
the paths there and render the answers exactly as a local upload would. Anything that is not a
b2img server, or does not answer at once, means uploading directly instead.
"""

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import fastlane, output

if TYPE_CHECKING:
    from b2img.links import LinkFormat
    from b2img.outcomes import Outcome


def upload(profile: str, paths: Sequence[Path], fmt: "LinkFormat") -> list["Outcome"] | None:
    """The outcomes from the server, or None when it cannot take the uploads."""
    files = list(paths)
    answers, problem = fastlane.remembered(files, profile) or fastlane.exchange(files, profile)
    target = os.environ.get(fastlane.SERVER_ENV, "")
    if problem == "url":
        output.warn(f"{fastlane.SERVER_ENV}={target!r} is not an http:// URL; uploading directly")
    elif problem == "impostor":
        output.warn(f"{target} is not a b2img server; uploading directly")
    if answers is None:
        return None
    return [
        _outcome(path, status, raw, fmt) for path, (status, raw) in zip(paths, answers, strict=True)
    ]


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
        return Failed(
            str(path), error_class(f"{message} (via {os.environ.get(fastlane.SERVER_ENV)})")
        )
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
