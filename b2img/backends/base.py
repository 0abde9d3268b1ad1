"""What every backend offers: a small keyword-only interface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# Called with the number of bytes sent since the last call (negative when a retry rewinds).
ByteProgress = Callable[[int], None]


@dataclass(frozen=True)
class Payload:
    """What to store: the bytes (in memory, or a file to stream) and how to describe them."""

    key: str
    label: str
    content_type: str
    size: int
    sha256: str
    data: bytes | None = None
    path: Path | None = None
    content_disposition: str = ""


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


class Uploader(Protocol):
    """Stores bytes under keys. Implementations must be safe to call from several threads."""

    def head(self, key: str) -> RemoteObject | None:
        """The object at ``key``, or None if there is none."""
        ...

    def put(self, payload: Payload, *, progress: ByteProgress | None = None) -> StoredObject: ...

    def delete(self, key: str) -> int:
        """Remove ``key`` for good (every version); returns how many versions were removed."""
        ...

    def check(self) -> None:
        """Raise a B2ImgError unless the destination answers and accepts the credentials."""
        ...
