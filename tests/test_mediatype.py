from __future__ import annotations

import io

import pytest
from helpers import jpeg_bytes, png_bytes
from PIL import Image

from b2img import mediatype
from b2img.mediatype import sniff


def encoded(fmt: str, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (4, 4)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (png_bytes(), "image/png"),
        (jpeg_bytes(), "image/jpeg"),
        (encoded("GIF", "P"), "image/gif"),
        (encoded("WEBP"), "image/webp"),
        (encoded("BMP"), "image/bmp"),
        (encoded("TIFF"), "image/tiff"),
        (encoded("ICO"), "image/x-icon"),
        (b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf", "image/avif"),
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "image/heic"),
        (b"\xff\x0a\xfa\x7f", "image/jxl"),
    ],
)
def test_sniffs_real_signatures(data: bytes, mime: str) -> None:
    found = sniff(data)
    assert found is not None
    assert found.mime == mime


@pytest.mark.parametrize(
    "data",
    [
        b"hello, I am text pretending to be a PNG",
        b"BM but not a bitmap at all, just words",
        b"\0\0\0\x18ftypisom\0\0\0\0isommp41",  # an MP4 video
        b"%PDF-1.7",
        b"",
    ],
)
def test_non_images(data: bytes) -> None:
    assert sniff(data) is None


def test_svg_is_recognised_but_not_raster() -> None:
    svg = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c -->\n<svg xmlns="http://www.w3.org/2000/svg"/>'
    )
    assert sniff(svg) is mediatype.SVG
    assert not mediatype.SVG.raster
    assert sniff(b"<?xml version='1.0'?><html/>") is None
