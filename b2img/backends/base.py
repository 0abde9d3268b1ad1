"""What every backend offers: a small keyword-only interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredObject:
    """What the store said it holds after an upload."""

    key: str
    size: int
    etag: str = ""
    version_id: str = ""


class Uploader(Protocol):
    """Puts bytes under a key. Implementations must be safe to call from several threads."""

    def put(
        self, *, key: str, data: bytes, content_type: str, source_name: str
    ) -> StoredObject: ...

    def check(self) -> None:
        """Raise a B2ImgError unless the destination answers and accepts the credentials."""
        ...
