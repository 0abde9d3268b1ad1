"""Inputs: a file or the clipboard's bytes, identified by content and hashed once.

Files up to LARGE_FILE bytes are read into memory (one read, then a single PUT). Larger files
are never held in memory: they are hashed in one streaming pass and uploaded from disk.
"""

from __future__ import annotations

import dataclasses
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
from b2img.pipeline import ImageOptions, process

# Files up to this size are read into memory (and can go through the image pipeline); larger
# ones are streamed from disk as they are.
LARGE_FILE = 64 * 1024 * 1024
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
    original_size: int = 0  # before the image pipeline changed it (0: unchanged)
    removed: tuple[str, ...] = ()  # metadata the pipeline removed
    notes: tuple[str, ...] = ()  # what else the pipeline did, or chose not to do

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


def read_source(path: Path, *, allow_svg: bool = False, any_file: bool = False) -> Source:
    """Open one file and check that it is an image b2img can upload (or, with ``any_file``,
    any non-empty file)."""
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
    media = _identify(label, head, name=path.name, allow_svg=allow_svg, any_file=any_file)
    if data is not None:
        return Source(label, path.name, media, size, data=data, digests=Digests(data=data))
    return Source(label, path.name, media, size, path=path, digests=Digests(path=path))


def _identify(
    label: str, head: bytes, *, name: str, allow_svg: bool = False, any_file: bool = False
) -> MediaType:
    media = sniff(head)
    if media is None:
        if any_file:
            import mimetypes

            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if mime.startswith("image/"):  # the bytes already said it is no image
                mime = "application/octet-stream"
            extension = os.path.splitext(name)[1].lstrip(".")  # noqa: PTH122
            return MediaType(mime, extension, raster=False)
        raise InputError(
            f"{label} is not an image (its content matches no known image format)",
            hint="b2img uploads PNG, JPEG, GIF, WebP, AVIF, HEIC, BMP, TIFF, ICO and JPEG XL; "
            "--any-file uploads other files",
        )
    if not media.raster and not (allow_svg or any_file):
        raise InputError(
            f"{label} is an SVG, which can carry scripts, so b2img does not upload it",
            hint="--allow-svg uploads it as a download (Content-Disposition: attachment)",
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


def processed(source: Source, options: ImageOptions) -> Source:
    """``source`` after the image pipeline (itself when nothing applies)."""
    if not source.media.raster:
        return source
    if source.data is None:
        if options.convert or options.resizes:
            raise InputError(
                f"{source.label} is larger than {LARGE_FILE // 2**20} MB, too large to convert "
                "or resize in memory",
                hint="convert or resize it with an image editor first",
            )
        if options.strip_metadata:
            note = f"metadata not removed: larger than {LARGE_FILE // 2**20} MB"
            return dataclasses.replace(source, notes=(note,))
        return source
    result = process(source.data, source.media, source.name, source.label, options)
    if result.data is source.data and not result.notes:
        return source
    return dataclasses.replace(
        source,
        name=result.name,
        media=result.media,
        size=len(result.data),
        data=result.data,
        digests=Digests(data=result.data),
        original_size=source.size,
        removed=result.removed,
        notes=result.notes,
    )
