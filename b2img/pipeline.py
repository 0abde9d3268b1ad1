"""The image pipeline: strip private metadata, fix orientation, resize, convert — safely.

Metadata removal from JPEG, PNG and WebP is lossless (b2img.metadata rewrites the container).
Pixels are decoded, with Pillow, only when something must change them: a rotation the EXIF
orientation asked for, a resize, or a conversion; and only for formats on an allow-list, after
the header's dimensions passed the pixel-bomb limit.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Any

from b2img import mediatype
from b2img.errors import InputError
from b2img.mediatype import MediaType
from b2img.metadata import Stripped, carries_metadata, corrupt, strip_jpeg, strip_png, strip_webp

MAX_PIXELS = 89_478_485  # Pillow's own limit (a 0.25 GB RGBA image); bigger is refused unread
CONVERT_TO = {
    "jpeg": mediatype.JPEG,
    "jpg": mediatype.JPEG,
    "png": mediatype.PNG,
    "webp": mediatype.WEBP,
    "avif": mediatype.AVIF,
}
DEFAULT_QUALITY = {"image/jpeg": 85, "image/webp": 80, "image/avif": 60}
_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
}
_STRIPPERS = {"image/jpeg": strip_jpeg, "image/png": strip_png, "image/webp": strip_webp}


@dataclass(frozen=True)
class ImageOptions:
    strip_metadata: bool = True
    convert: str = ""  # "", or a key of CONVERT_TO
    quality: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    force_convert: bool = False

    @property
    def resizes(self) -> bool:
        return bool(self.max_width or self.max_height)


@dataclass(frozen=True)
class Result:
    data: bytes
    media: MediaType
    name: str
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


def process(data: bytes, media: MediaType, name: str, label: str, options: ImageOptions) -> Result:
    """What to upload for these bytes under these options (the input itself if nothing applies)."""
    if not media.raster:
        return Result(data, media, name)
    stripper = _STRIPPERS.get(media.mime)
    facts: Stripped | None = stripper(data, label) if stripper else None
    width, height = (facts.width, facts.height) if facts else _dimensions(data, media, label)
    if width * height > MAX_PIXELS:
        raise InputError(
            f"{label} is {width}x{height} pixels, more than b2img will decode "
            f"({MAX_PIXELS // 1_000_000} megapixels): refused as a possible pixel bomb",
            hint="scale it down in an image editor first",
        )
    target = CONVERT_TO[options.convert] if options.convert else media
    rotate = options.strip_metadata and facts is not None and facts.orientation != 1
    decode = rotate or options.resizes or target != media
    removed: tuple[str, ...] = ()
    notes: list[str] = []
    base = data
    if options.strip_metadata:
        if facts is not None and facts.removed:
            base, removed = facts.data, facts.removed
        elif facts is None and target == media and carries_metadata(data, media.mime):
            # Only formats b2img cannot rewrite are scanned: a PNG, JPEG or WebP it has
            # already walked chunk by chunk is known to be clean, and its compressed pixels
            # may well contain the bytes "Exif" by chance.
            raise InputError(
                f"{label} carries metadata (EXIF/XMP) that b2img cannot remove from "
                f"{media.extension.upper()} without re-encoding it",
                hint="--convert jpeg (or webp, png), or --keep-metadata to upload it as it is",
            )
    if not decode:
        return Result(base, media, name, removed)
    if _frames(data, media) > 1:
        notes.append("animated image left unconverted and unresized (kept as it is)")
        return Result(base, media, name, removed, tuple(notes))
    encoded = _reencode(data, media, target, label, options, rotate=rotate)
    if target != media and len(encoded) >= len(base) and not options.force_convert:
        notes.append(
            f"{target.extension.upper()} would be larger ({len(encoded):,} > {len(base):,} "
            f"bytes); uploaded the original instead (--force-convert to insist)"
        )
        if rotate or options.resizes:  # the original still needs turning upright or resizing
            encoded = _reencode(data, media, media, label, options, rotate=rotate)
            return Result(encoded, media, name, removed, tuple(notes))
        return Result(base, media, name, removed, tuple(notes))
    if target != media:
        stem = os.path.splitext(name)[0]  # noqa: PTH122 - same split as {fileName}
        name = f"{stem}.{target.extension}"
    if rotate:
        notes.append("turned upright (EXIF orientation)")
    if options.strip_metadata and facts is None and carries_metadata(data, media.mime):
        removed = ("EXIF/XMP",)
    return Result(encoded, target, name, removed, tuple(notes))


def _image_module() -> Any:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


def _open(data: bytes, media: MediaType, label: str) -> Any:
    image_module = _image_module()
    pillow_format = _PILLOW_FORMATS.get(media.mime)
    if pillow_format is None:
        raise InputError(
            f"{label}: b2img cannot decode {media.extension.upper()} images",
            hint="upload it without changes (no --convert/--max-width), or convert it first",
        )
    try:
        return image_module.open(io.BytesIO(data), formats=[pillow_format])
    except (image_module.DecompressionBombError, image_module.DecompressionBombWarning):
        raise InputError(f"{label} is too large to decode safely") from None
    except (OSError, ValueError, SyntaxError):
        raise corrupt(label, media.extension.upper()) from None


def _dimensions(data: bytes, media: MediaType, label: str) -> tuple[int, int]:
    if media.mime == "image/gif" and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if media.mime not in _PILLOW_FORMATS:
        return 0, 0  # not decodable here, so never decoded
    with _open(data, media, label) as image:
        return int(image.width), int(image.height)


def _frames(data: bytes, media: MediaType) -> int:
    if media.mime not in ("image/gif", "image/webp", "image/png", "image/avif"):
        return 1
    if media.mime == "image/png" and b"acTL" not in data[:4096]:
        return 1
    if media.mime == "image/webp" and b"ANIM" not in data[:4096]:
        return 1
    with _open(data, media, "image") as image:
        return int(getattr(image, "n_frames", 1))


def _reencode(
    data: bytes,
    media: MediaType,
    target: MediaType,
    label: str,
    options: ImageOptions,
    *,
    rotate: bool,
) -> bytes:
    from PIL import ImageOps

    image_module = _image_module()
    with _open(data, media, label) as source:
        try:
            source.load()
        except (OSError, ValueError, SyntaxError):
            raise corrupt(label, media.extension.upper()) from None
        icc = source.info.get("icc_profile")
        exif = None if options.strip_metadata else source.info.get("exif")
        keep_tables = (
            target == media == mediatype.JPEG and options.quality is None and not options.resizes
        )
        quantization = getattr(source, "quantization", None) if keep_tables else None
        image = ImageOps.exif_transpose(source) if rotate else source.copy()
    if options.resizes:
        box = (options.max_width or image.width, options.max_height or image.height)
        if image.width > box[0] or image.height > box[1]:
            image.thumbnail(box, image_module.Resampling.LANCZOS)
    params: dict[str, Any] = {}
    if icc:
        params["icc_profile"] = icc
    if exif:
        params["exif"] = exif
    if target == mediatype.JPEG:
        image = _flatten(image, image_module)
        if quantization:
            params.update(qtables=quantization, subsampling="keep" if not rotate else 0)
        else:
            params.update(quality=options.quality or DEFAULT_QUALITY[target.mime], optimize=True)
    elif target in (mediatype.WEBP, mediatype.AVIF):
        params["quality"] = options.quality or DEFAULT_QUALITY[target.mime]
        if target == mediatype.WEBP:
            params["method"] = 4
    elif image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, _PILLOW_FORMATS[target.mime], **params)
    return out.getvalue()


def _flatten(image: Any, image_module: Any) -> Any:
    """JPEG has no alpha: transparent pixels go on white, not black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = image_module.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode not in ("RGB", "L", "CMYK"):
        return image.convert("RGB")
    return image


def describe(result: Result, original_size: int) -> str:
    """A one-line summary for --dry-run."""
    parts = [f"{original_size:,} → {len(result.data):,} bytes"]
    if result.removed:
        parts.append("removed " + ", ".join(result.removed))
    return "; ".join(parts)
