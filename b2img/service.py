"""Use cases: take sources and collaborators, return outcomes. Never prints, never exits."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from b2img.backends import Uploader
from b2img.config import Profile
from b2img.errors import AuthError, B2ImgError, ConfigError, InputError
from b2img.links import LinkFormat, object_url
from b2img.mediatype import SNIFF_BYTES, MediaType, sniff

Clock = Callable[[], datetime]


def local_now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class Source:
    """One input file, read and identified."""

    label: str  # the path as the user gave it
    name: str  # the file name used for {fullName}
    data: bytes
    media: MediaType


@dataclass(frozen=True)
class Uploaded:
    source: str
    key: str
    url: str
    link: str
    size: int
    content_type: str
    dry_run: bool = False
    version_id: str = ""


@dataclass(frozen=True)
class Failed:
    source: str
    error: B2ImgError


Outcome = Uploaded | Failed


def read_source(path: Path) -> Source:
    """Read one file and check that it is an image b2img can upload."""
    label = str(path)
    try:
        if path.is_dir():
            raise InputError(f"{label} is a directory", hint="pass image files, not folders")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{label}: no such file", hint="check the path") from None
    except PermissionError:
        raise InputError(f"{label}: permission denied", hint="check the file's mode") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot read ({exc.strerror})") from None
    if not data:
        raise InputError(f"{label} is empty", hint="pass a non-empty image file")
    media = sniff(data[:SNIFF_BYTES])
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
    return Source(label, path.name, data, media)


CLIPBOARD_LABEL = "clipboard"


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
    return Source(CLIPBOARD_LABEL, name, data, media)


@dataclass(frozen=True)
class UploadPlan:
    profile: Profile
    link_format: LinkFormat
    clock: Clock = local_now


def describe_link(plan: UploadPlan, source: Source, key: str) -> tuple[str, str]:
    url = object_url(key=key, **plan.profile.object_url_args())
    width = height = None
    if plan.link_format.needs_size:
        from b2img.imaging import dimensions

        size = dimensions(source.data)
        if size:
            width, height = size
    stem = os.path.splitext(source.name)[0]  # noqa: PTH122 - same split as {fileName}
    link = plan.link_format.render(url=url, name=stem, key=key, width=width, height=height)
    return url, link


@dataclass(frozen=True)
class Pending:
    """One input to upload: its label for messages, and how to read it."""

    label: str
    load: Callable[[], Source]

    @classmethod
    def from_path(cls, path: Path) -> Pending:
        return cls(str(path), lambda: read_source(path))

    @classmethod
    def from_source(cls, source: Source) -> Pending:
        return cls(source.label, lambda: source)


def upload_files(
    paths: Sequence[Path],
    plan: UploadPlan,
    *,
    uploader: Uploader | None,
    jobs: int = 8,
) -> Iterator[Outcome]:
    """Upload each path; see upload_pending."""
    return upload_pending([Pending.from_path(p) for p in paths], plan, uploader=uploader, jobs=jobs)


def upload_pending(
    items: Sequence[Pending],
    plan: UploadPlan,
    *,
    uploader: Uploader | None,
    jobs: int = 8,
) -> Iterator[Outcome]:
    """Upload each item; yield one outcome per item, in input order, as soon as it is known.

    With ``uploader=None`` nothing is sent: outcomes are what an upload would produce.
    After a failure no later upload can get past (refused credentials, a missing bucket), the
    uploads not yet started fail with the same error instead of repeating the request.
    """
    fatal: list[B2ImgError] = []
    lock = threading.Lock()

    def one(item: Pending) -> Outcome:
        label = item.label
        try:
            source = item.load()
            key = plan.profile.upload_path.render_key(
                name=source.name, data=source.data, when=plan.clock()
            )
            url, link = describe_link(plan, source, key)
        except B2ImgError as exc:
            return Failed(label, exc)
        version = ""
        if uploader is not None:
            with lock:
                if fatal:
                    return Failed(label, fatal[0])
            try:
                stored = uploader.put(
                    key=key, data=source.data, content_type=source.media.mime, source_name=label
                )
            except B2ImgError as exc:
                if isinstance(exc, AuthError | ConfigError):
                    with lock:
                        fatal.append(exc)
                return Failed(label, exc)
            version = stored.version_id
        return Uploaded(
            source=label,
            key=key,
            url=url,
            link=link,
            size=len(source.data),
            content_type=source.media.mime,
            dry_run=uploader is None,
            version_id=version,
        )

    workers = max(1, min(jobs, len(items)))
    if workers == 1:
        for item in items:
            yield one(item)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="b2img-upload")
    try:
        futures: list[Future[Outcome]] = [pool.submit(one, item) for item in items]
        for future in futures:
            yield future.result()
    finally:
        # On Ctrl-C (or a consumer that stops early) drop what has not started.
        pool.shutdown(wait=True, cancel_futures=True)
