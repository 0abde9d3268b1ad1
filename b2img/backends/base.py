"""What every backend offers: a small keyword-only interface."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from b2img.errors import ConfigError

READ_TIMEOUT = 20.0  # per socket read: how long a silent server may keep us waiting
TIMEOUT_ENV = "B2IMG_TIMEOUT"

# Called with the number of bytes sent since the last call (negative when a retry rewinds).
ByteProgress = Callable[[int], None]


@dataclass(frozen=True)
class Payload:
    """What to store: the bytes (in memory, or a file to stream) and how to describe them."""

    key: str
    label: str
    content_type: str
    size: int
    sha256: str  # of exactly these bytes, in hex: S3 signs it as the body's hash
    data: bytes | None = None
    path: Path | None = None
    content_disposition: str = ""
    # True when the caller chose to replace what the key holds (on_conflict = overwrite); stores
    # that can refuse to clobber atomically (a folder) do so otherwise.
    replace: bool = False


@dataclass(frozen=True)
class RemoteObject:
    """What the store says about an existing key."""

    key: str
    size: int
    sha256: str = ""  # from b2img's metadata; empty for objects stored by other tools
    etag: str = ""


@dataclass(frozen=True)
class StoredObject:
    """What the store said it holds after an upload."""

    key: str
    size: int
    etag: str = ""
    version_id: str = ""
    url: str = ""  # set by stores that choose the link themselves (SM.MS)
    delete_token: str = ""  # what deleting it takes, where that is not the key (SM.MS's hash)


class Uploader(Protocol):
    """Stores bytes under keys. Implementations must be safe to call from several threads."""

    def head(self, key: str) -> RemoteObject | None:
        """The object at ``key``, or None if there is none."""
        ...

    def list_folder(self, folder: str) -> set[str] | None:
        """The keys directly in ``folder`` ("" for the top), or None when the store cannot
        tell that in a request or two (too many keys, no permission to list, no folders)."""
        ...

    def put(self, payload: Payload, *, progress: ByteProgress | None = None) -> StoredObject: ...

    def delete(self, key: str, *, delete_token: str = "") -> int:
        """Remove ``key`` for good (every version); returns how many versions were removed."""
        ...

    def check(self) -> None:
        """Raise a B2ImgError unless the destination answers and accepts the credentials."""
        ...


def network_timeout() -> float:
    """Seconds to wait for a connection or an answer: ``$B2IMG_TIMEOUT``, else READ_TIMEOUT."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    if not raw:
        return READ_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise ConfigError(
            f"{TIMEOUT_ENV}={raw!r} is not a number of seconds",
            hint=f"e.g. {TIMEOUT_ENV}=30, or unset it for the default ({READ_TIMEOUT:.0f})",
        )
    return value


def network_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words (urllib's reason, the OS's message, or the type)."""
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None)
    return str(reason or type(exc).__name__)
