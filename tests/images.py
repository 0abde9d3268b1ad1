"""Images with metadata, built with Pillow in the tests (no binary fixtures)."""

from __future__ import annotations

import functools
import io
import struct

from PIL import ExifTags, Image, ImageCms

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
    b'-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator='
    b'"Secret Person"/></rdf:RDF></x:xmpmeta>'
)


@functools.cache
def srgb_icc() -> bytes:
    """One sRGB profile per test run (a new one would carry a new creation time)."""
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def gps_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    return bytes(exif.tobytes())


def marked(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """A grey image with a red block in its top-left corner, to tell orientation apart."""
    image = Image.new("RGB", size, (128, 128, 128))
    for x in range(6):
        for y in range(6):
            image.putpixel((x, y), (255, 0, 0))
    return image


def photo_jpeg(*, orientation: int = 1, size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    marked(size).save(
        out,
        "JPEG",
        quality=90,
        exif=gps_exif(orientation),
        icc_profile=srgb_icc(),
        xmp=XMP,
        comment=b"shot at home",
    )
    return out.getvalue()


def noisy_photo(size: tuple[int, int] = (800, 600)) -> bytes:
    """Something photo-like (smooth gradients and noise) as a high-quality JPEG."""
    import random

    rng = random.Random(3)  # noqa: S311 - test data
    image = Image.new("RGB", size)
    pixels = [
        (
            (x * 255 // size[0] + rng.randint(-12, 12)) % 256,
            (y * 255 // size[1] + rng.randint(-12, 12)) % 256,
            ((x + y) * 127 // (size[0] + size[1]) + rng.randint(-12, 12)) % 256,
        )
        for y in range(size[1])
        for x in range(size[0])
    ]
    image.putdata(pixels)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def png_with_metadata() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Person")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add_text("Comment", "compressed secret", zip=True)
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (1, 2, 3, 200)).save(
        out, "PNG", pnginfo=info, exif=gps_exif(), icc_profile=srgb_icc()
    )
    return out.getvalue()


def webp_with_metadata() -> bytes:
    out = io.BytesIO()
    marked().save(out, "WEBP", quality=80, exif=gps_exif(), xmp=XMP, icc_profile=srgb_icc())
    return out.getvalue()


def scan_data(jpeg: bytes) -> bytes:
    """From the first SOS marker to the end, walking segments (independently of b2img)."""
    pos = 2
    while True:
        marker = jpeg[pos + 1]
        if marker == 0xDA:
            return jpeg[pos:]
        (length,) = struct.unpack_from(">H", jpeg, pos + 2)
        pos += 2 + length


def segment_markers(jpeg: bytes) -> list[tuple[int, bytes]]:
    """(marker, first bytes of the body) for each segment before the scan."""
    found = []
    pos = 2
    while jpeg[pos + 1] != 0xDA:
        (length,) = struct.unpack_from(">H", jpeg, pos + 2)
        found.append((jpeg[pos + 1], jpeg[pos + 4 : pos + 16]))
        pos += 2 + length
    return found


def png_chunks(data: bytes) -> list[bytes]:
    kinds = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def _png(width: int, height: int, colour: int, idat: bytes) -> bytes:
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pixel_bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    import zlib

    return _png(width, height, 2, zlib.compress(b"\x00" * 1024))


def grey_png_stored(row: bytes) -> bytes:
    """A one-row greyscale PNG whose pixel bytes stand in the file as they are (no compression)."""
    import zlib

    return _png(len(row), 1, 0, zlib.compress(b"\x00" + row, 0))


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (8, 8), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()
