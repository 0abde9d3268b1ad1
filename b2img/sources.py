"""Inputs: a file or the clipboard's bytes, identified by content and hashed once.

Files up to LARGE_FILE bytes are read into memory (one read, then a single PUT). Larger files
are never held in memory: they are hashed in one streaming pass and uploaded from disk.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from b2img.errors import InputError
from b2img.mediatype import SNIFF_BYTES, MediaType, sniff

LARGE_FILE = 16 * 1024 * 1024
READ_CHUNK = 1024 * 1024
CLIPBOARD_LABEL = "clipboard"

Clock = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


class Digests:
    """The content's hashes, each computed on first use (files: streamed from disk)."""

    def __init__(self, *, data: bytes | None = None, path: Path | None = None) -> None:
        self._data = data
        self._path = path
        self._done: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def digest(self, algorithm: str) -> bytes:
        with self._lock:
            if algorithm not in self._done:
                self._compute((algorithm,))
            return self._done[algorithm]

    def hexdigest(self, algorithm: str) -> str:
        return self.digest(algorithm).hex()

    def prime(self, *algorithms: str) -> None:
        """Compute several hashes in a single pass over the content."""
        with self._lock:
            missing = tuple(a for a in algorithms if a not in self._done)
            if missing:
                self._compute(missing)

    def _compute(self, algorithms: tuple[str, ...]) -> None:
        hashers = {a: hashlib.new(a, usedforsecurity=False) for a in algorithms}
        if self._data is not None:
            for hasher in hashers.values():
                hasher.update(self._data)
        elif self._path is not None:
            with self._path.open("rb") as handle:
                while chunk := handle.read(READ_CHUNK):
                    for hasher in hashers.values():
                        hasher.update(chunk)
        for name, hasher in hashers.items():
            self._done[name] = hasher.digest()


@dataclass(frozen=True)
class Source:
    """One input, identified by its bytes. Exactly one of ``data`` and ``path`` is set."""

    label: str  # as the user named it (a path, or "clipboard")
    name: str  # the file name used for {fullName}
    media: MediaType
    size: int
    data: bytes | None = None
    path: Path | None = None
    digests: Digests = field(default_factory=Digests, compare=False)

    @property
    def sha256(self) -> str:
        return self.digests.hexdigest("sha256")

    def open(self) -> BinaryIO:
        import io

        if self.data is not None:
            return io.BytesIO(self.data)
        if self.path is None:
            raise InputError(f"{self.label}: no content")
        return self.path.open("rb")

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:size]
        with self.open() as handle:
            return handle.read(size)


def read_source(path: Path) -> Source:
    """Open one file and check that it is an image b2img can upload."""
    label = str(path)
    try:
        if path.is_dir():
            raise InputError(f"{label} is a directory", hint="pass image files, not folders")
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= LARGE_FILE:
                data: bytes | None = handle.read()
                head = data[:SNIFF_BYTES] if data is not None else b""
                size = len(data or b"")
            else:
                data = None
                head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file", hint="check the path") from None
    except PermissionError:
        raise InputError(f"{label}: permission denied", hint="check the file's mode") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror})") from None
    if not size:
        raise InputError(f"{label} is empty", hint="pass a non-empty image file")
    media = _identify(label, head)
    if data is not None:
        return Source(label, path.name, media, size, data=data, digests=Digests(data=data))
    return Source(label, path.name, media, size, path=path, digests=Digests(path=path))


def _identify(label: str, head: bytes) -> MediaType:
    media = sniff(head)
    if media is None:
        raise InputError(
            f"{label} is not an image (its content matches no known image format)",
            hint="b2img uploads PNG, JPEG, GIF, WebP, AVIF, HEIC, BMP, TIFF, ICO and JPEG XL",
        )
    if not media.raster:
        raise InputError(
            f"{label} is an SVG, which can carry scripts, so b2img does not upload it",
            hint="convert it to PNG, or upload it by another means if you trust it",
        )
    return media


def clipboard_source(data: bytes, *, name: str | None, clock: Clock = local_now) -> Source:
    """The clipboard image as a source named ``name``, else like PicGo: YYYYMMDDHHmmssSSS.png.

    A name without an extension gets the image's own (``diagram`` -> ``diagram.png``).
    """
    media = sniff(data[:SNIFF_BYTES])
    if media is None or not media.raster:
        raise InputError("no image on the clipboard (its data is not an image)")
    if name is None:
        when = clock()
        name = when.strftime("%Y%m%d%H%M%S") + f"{when.microsecond // 1000:03d}"
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise InputError(f"--name '{name}' is not a file name", hint="e.g. --name diagram.png")
    if not os.path.splitext(name)[1]:  # noqa: PTH122 - same split as {extName}
        name = f"{name}.{media.extension}"
    return Source(CLIPBOARD_LABEL, name, media, len(data), data=data, digests=Digests(data=data))
