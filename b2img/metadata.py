"""Lossless removal of private metadata from JPEG, PNG and WebP, by rewriting containers.

No pixel is decoded here: segments and chunks that carry EXIF (GPS, camera, serial numbers,
times), XMP, IPTC and comments are dropped, and the colour profile (ICC) and everything the
image data needs are kept byte for byte. Also reads what the pipeline must know before it
decodes anything: dimensions (to refuse pixel bombs) and the EXIF orientation.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from b2img.errors import InputError


@dataclass(frozen=True)
class Stripped:
    data: bytes
    removed: tuple[str, ...]  # what was dropped, for humans: "EXIF (with GPS)", "XMP", …
    width: int
    height: int
    orientation: int = 1  # EXIF orientation of the original (1 = upright)


def corrupt(label: str, what: str) -> InputError:
    return InputError(
        f"{label} is a damaged {what} file (truncated or corrupt)",
        hint="open and re-save it in an image editor",
    )


# ---- EXIF (TIFF structure) ----------------------------------------------------------------------


def exif_facts(tiff: bytes) -> tuple[int, bool]:
    """(orientation, has GPS) from EXIF's TIFF structure; (1, False) if unreadable."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1, False
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, offset)
        orientation, gps = 1, False
        for index in range(count):
            tag, kind, _, value = struct.unpack_from(order + "HHI4s", tiff, offset + 2 + 12 * index)
            if tag == 0x0112 and kind == 3:
                orientation = struct.unpack_from(order + "H", value)[0]
            elif tag == 0x8825:
                gps = True
        return (orientation if 1 <= orientation <= 8 else 1), gps
    except struct.error:
        return 1, False


def _exif_label(gps: bool) -> str:
    return "EXIF (with GPS location)" if gps else "EXIF"


# ---- JPEG ---------------------------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def strip_jpeg(data: bytes, label: str) -> Stripped:
    if data[:2] != b"\xff\xd8":
        raise corrupt(label, "JPEG")
    out = [b"\xff\xd8"]
    removed: list[str] = []
    width = height = 0
    orientation = 1
    pos = 2
    size = len(data)
    while True:
        if pos + 4 > size or data[pos] != 0xFF:
            raise corrupt(label, "JPEG")
        while pos + 1 < size and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1]
        if marker in _STANDALONE:
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        if marker == 0xD9:
            raise corrupt(label, "JPEG")  # EOI before any image data
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > size:
            raise corrupt(label, "JPEG")
        segment = data[pos:end]
        body = data[pos + 4 : end]
        if marker == 0xDA:
            scan_end = _scan_to_eoi(data, end, label)
            out.append(data[pos:scan_end])
            if scan_end < size and data[scan_end:].strip(b"\x00"):
                removed.append("data after the image")
            break
        keep, what = _jpeg_segment(marker, body)
        if marker in _SOF and len(body) >= 5:
            height, width = struct.unpack_from(">HH", body, 1)
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
            orientation, gps = exif_facts(body[6:])
            what = _exif_label(gps)
        if keep:
            out.append(segment)
        elif what not in removed:
            removed.append(what)
        pos = end
    if not width or not height:
        raise corrupt(label, "JPEG")
    return Stripped(b"".join(out), tuple(removed), width, height, orientation)


def _jpeg_segment(marker: int, body: bytes) -> tuple[bool, str]:
    """Whether to keep an APPn/COM segment, and what it is."""
    if marker == 0xFE:
        return False, "comment"
    if not 0xE0 <= marker <= 0xEF:
        return True, ""
    if marker == 0xE0:
        return body.startswith(b"JFIF\x00"), "JFIF extension"
    if marker == 0xE1:
        if body.startswith(b"Exif\x00"):
            return False, "EXIF"
        return False, "XMP"
    if marker == 0xE2:
        return body.startswith(b"ICC_PROFILE\x00"), "extra images (MPF/FlashPix)"
    if marker == 0xED:
        return False, "IPTC"
    if marker == 0xEE:
        return body.startswith(b"Adobe"), "vendor data"
    return False, "vendor data"


# In entropy-coded data 0xFF is followed by 0x00 (stuffing), a restart marker or fill bytes;
# anything else is a real marker.
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _scan_to_eoi(data: bytes, pos: int, label: str) -> int:
    """The end of the EOI marker, walking entropy-coded data and any segments between scans."""
    size = len(data)
    while True:
        match = _MARKER.search(data, pos)
        if match is None:
            raise corrupt(label, "JPEG")
        found = match.start()
        following = data[found + 1]
        if following == 0xD9:
            return found + 2
        if found + 4 > size:
            raise corrupt(label, "JPEG")
        (length,) = struct.unpack_from(">H", data, found + 2)  # DHT, DQT, SOS… between scans
        pos = found + 2 + length


# ---- PNG ----------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Ancillary chunks that describe how to show the pixels (or animate them) are kept; every other
# ancillary chunk is metadata (tEXt, zTXt, iTXt, eXIf, tIME, and private ones such as Apple's).
_PNG_KEEP = {
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"hIST",
    b"sPLT", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI",
}  # fmt: skip
_PNG_NAMES = {b"eXIf": "EXIF", b"tIME": "timestamp", b"tEXt": "text", b"zTXt": "text"}


def strip_png(data: bytes, label: str) -> Stripped:
    if not data.startswith(_PNG_SIGNATURE):
        raise corrupt(label, "PNG")
    view = memoryview(data)  # chunks are checked and kept without copying them
    kept: list[tuple[int, int]] = []  # (start, end) of each chunk kept
    removed: list[str] = []
    width = height = 0
    orientation = 1
    pos = len(_PNG_SIGNATURE)
    size = len(data)
    ended = False
    while pos + 12 <= size:
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size:
            break
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        if zlib.crc32(view[pos + 8 : pos + 8 + length], zlib.crc32(kind)) != crc:
            raise corrupt(label, "PNG")
        if kind == b"IHDR" and length >= 8:
            width, height = struct.unpack_from(">II", data, pos + 8)
        if kind[0:1].isupper() or kind in _PNG_KEEP:
            if kept and kept[-1][1] == pos:
                kept[-1] = (kept[-1][0], end)
            else:
                kept.append((pos, end))
        else:
            body = data[pos + 8 : pos + 8 + length]
            if kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
                what = "XMP"
            elif kind == b"eXIf":
                orientation, gps = exif_facts(body)
                what = _exif_label(gps)
            else:
                what = _PNG_NAMES.get(kind, "text" if kind == b"iTXt" else "private data")
            if what not in removed:
                removed.append(what)
        pos = end
        if kind == b"IEND":
            ended = True
            break
    if not ended or not width or not height:
        raise corrupt(label, "PNG")
    if data[pos:].strip(b"\x00"):
        removed.append("data after the image")
    if kept == [(len(_PNG_SIGNATURE), pos)]:
        stripped = data[:pos]  # nothing dropped inside: the file itself (a slice of it at most)
    else:
        stripped = b"".join([_PNG_SIGNATURE, *(view[a:b] for a, b in kept)])
    return Stripped(stripped, tuple(removed), width, height, orientation)


# ---- WebP ---------------------------------------------------------------------------------------


def strip_webp(data: bytes, label: str) -> Stripped:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise corrupt(label, "WebP")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    limit = min(len(data), 8 + riff_size)
    chunks: list[bytearray | bytes] = []
    removed: list[str] = []
    width = height = 0
    orientation = 1
    pos = 12
    vp8x_index = -1
    while pos + 8 <= limit:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > limit:
            raise corrupt(label, "WebP")
        body = data[pos + 8 : pos + 8 + length]
        chunk = data[pos:end]
        if kind == b"VP8X" and length >= 10:
            vp8x_index = len(chunks)
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
            chunks.append(bytearray(chunk))
        elif kind == b"EXIF":
            tiff = body[6:] if body.startswith(b"Exif\x00\x00") else body
            orientation, gps = exif_facts(tiff)
            removed.append(_exif_label(gps))
        elif kind == b"XMP ":
            removed.append("XMP")
        else:
            if kind == b"VP8 " and length >= 10 and not width:
                width, height = (v & 0x3FFF for v in struct.unpack_from("<HH", body, 6))
            elif kind == b"VP8L" and length >= 5 and not width:
                (bits,) = struct.unpack_from("<I", body, 1)
                width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            chunks.append(chunk)
        pos = end
    if not width or not height or pos != limit:
        raise corrupt(label, "WebP")
    if vp8x_index >= 0:
        header = chunks[vp8x_index]
        if isinstance(header, bytearray):
            header[8] &= ~(0x08 | 0x04) & 0xFF  # the EXIF and XMP flags
    body = b"".join(bytes(c) for c in chunks)
    out = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    return Stripped(out, tuple(removed), width, height, orientation)


# ---- formats b2img does not rewrite -------------------------------------------------------------


def carries_metadata(data: bytes, mime: str) -> bool:
    """Whether an AVIF/HEIC/TIFF/JPEG XL file seems to carry EXIF or XMP (a conservative scan)."""
    head = data[: 256 * 1024]
    if mime == "image/tiff":
        return any(tag in _tiff_tags(data) for tag in (0x8769, 0x8825, 700, 33723, 34377))
    return b"Exif" in head or b"<x:xmpmeta" in head or b"application/rdf+xml" in head


def _tiff_tags(data: bytes) -> set[int]:
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, offset)
        return {struct.unpack_from(order + "H", data, offset + 2 + 12 * i)[0] for i in range(count)}
    except struct.error:
        return set()
