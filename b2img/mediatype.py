"""What a file really is, from its first bytes (never from its name)."""

from __future__ import annotations

from dataclasses import dataclass

SNIFF_BYTES = 4096  # enough for an SVG prolog; binary signatures need far less


@dataclass(frozen=True)
class MediaType:
    mime: str
    extension: str  # the usual extension, without a dot
    raster: bool = True


PNG = MediaType("image/png", "png")
JPEG = MediaType("image/jpeg", "jpg")
GIF = MediaType("image/gif", "gif")
WEBP = MediaType("image/webp", "webp")
BMP = MediaType("image/bmp", "bmp")
TIFF = MediaType("image/tiff", "tiff")
ICO = MediaType("image/x-icon", "ico")
AVIF = MediaType("image/avif", "avif")
HEIC = MediaType("image/heic", "heic")
JXL = MediaType("image/jxl", "jxl")
SVG = MediaType("image/svg+xml", "svg", raster=False)

_AVIF_BRANDS = {b"avif", b"avis"}
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(head: bytes) -> MediaType | None:
    """The image type whose signature ``head`` (the first bytes of a file) starts with."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    # "BM" alone is too weak a signature; the four reserved header bytes must also be zero.
    if head[:2] == b"BM" and len(head) >= 14 and head[6:10] == b"\0\0\0\0":
        return BMP
    if head[:4] in (b"II*\0", b"MM\0*"):
        return TIFF
    if head[:4] == b"\0\0\1\0" and len(head) >= 6 and head[4:6] != b"\0\0":
        return ICO
    if head[:2] == b"\xff\x0a" or head[:12] == b"\0\0\0\x0cJXL \r\n\x87\n":
        return JXL
    if head[4:8] == b"ftyp":
        return _iso_brand(head)
    if _looks_like_svg(head[:SNIFF_BYTES]):
        return SVG
    return None


def _iso_brand(head: bytes) -> MediaType | None:
    box_size = int.from_bytes(head[0:4], "big")
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
    if brands & _AVIF_BRANDS:
        return AVIF
    if brands & _HEIC_BRANDS:
        return HEIC
    return None


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not text.startswith((b"<?xml", b"<svg", b"<!doctype svg", b"<!--")):
        return False
    return b"<svg" in text
