"""The image pipeline: lossless metadata removal, orientation, conversion, resizing, safety."""

from __future__ import annotations

import io

import pytest
from images import (
    XMP,
    animated_gif,
    gps_exif,
    grey_png_stored,
    marked,
    noisy_photo,
    photo_jpeg,
    pixel_bomb_png,
    png_chunks,
    png_with_metadata,
    scan_data,
    segment_markers,
    srgb_icc,
    webp_with_metadata,
)
from PIL import Image

from b2img import mediatype
from b2img.errors import InputError
from b2img.mediatype import sniff
from b2img.pipeline import ImageOptions, process

STRIP = ImageOptions()


def run(data: bytes, options: ImageOptions = STRIP, name: str = "photo.jpg"):
    media = sniff(data)
    assert media is not None
    return process(data, media, name, name, options)


def test_jpeg_metadata_is_removed_without_re_encoding() -> None:
    original = photo_jpeg()
    result = run(original)
    assert scan_data(result.data) == scan_data(original)  # the image data, byte for byte
    markers = segment_markers(result.data)
    assert not [m for m, body in markers if m == 0xE1]  # no EXIF, no XMP
    assert not [m for m, _ in markers if m == 0xFE]  # no comment
    assert any(m == 0xE2 and body.startswith(b"ICC_PROFILE") for m, body in markers)
    assert set(result.removed) == {"EXIF (with GPS location)", "XMP", "comment"}
    with Image.open(io.BytesIO(result.data)) as image:
        assert not image.getexif()
        assert image.info.get("icc_profile") == srgb_icc()
        assert "xmp" not in image.info
    assert b"Secret Person" not in result.data
    assert b"PhoneMaker" not in result.data


def test_a_rotated_photo_comes_out_upright_without_gps() -> None:
    result = run(photo_jpeg(orientation=6))  # stored 40x20, shown rotated 90° clockwise
    assert "turned upright (EXIF orientation)" in result.notes
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.size == (20, 40)
        assert not image.getexif()
        assert image.info.get("icc_profile") == srgb_icc()
        red, green, _ = image.convert("RGB").getpixel((17, 2))
        assert red > 200 and green < 60  # the marker is now in the top-right corner
    assert b"PhoneMaker" not in result.data


def test_keep_metadata_changes_nothing() -> None:
    original = photo_jpeg(orientation=6)
    result = run(original, ImageOptions(strip_metadata=False))
    assert result.data == original
    assert result.removed == ()


def test_png_chunks_are_removed_losslessly() -> None:
    original = png_with_metadata()
    result = run(original, name="a.png")
    kinds = png_chunks(result.data)
    assert b"tEXt" not in kinds and b"iTXt" not in kinds and b"zTXt" not in kinds
    assert b"eXIf" not in kinds
    assert b"iCCP" in kinds
    assert [c for c in png_chunks(original) if c == b"IDAT"] == [c for c in kinds if c == b"IDAT"]
    assert set(result.removed) >= {"EXIF (with GPS location)", "XMP", "text"}
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(result.data)) as after:
        assert before.tobytes() == after.tobytes()
        assert after.mode == "RGBA"


def test_webp_exif_and_xmp_are_removed() -> None:
    original = webp_with_metadata()
    result = run(original, name="a.webp")
    assert set(result.removed) == {"EXIF (with GPS location)", "XMP"}
    assert b"PhoneMaker" not in result.data and XMP not in result.data
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(result.data)) as after:
        assert before.tobytes() == after.tobytes()
        assert after.info.get("icc_profile") == srgb_icc()
        assert not after.getexif()


def test_webp_conversion_of_a_photo_is_smaller() -> None:
    original = noisy_photo()
    result = run(original, ImageOptions(convert="webp"), name="photo.jpg")
    assert result.media == mediatype.WEBP
    assert result.name == "photo.webp"
    assert len(result.data) < len(original)
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.format == "WEBP"
        assert image.size == (800, 600)


@pytest.mark.parametrize("target", ["jpeg", "avif"])
def test_a_conversion_that_would_grow_is_skipped(target: str) -> None:
    out = io.BytesIO()
    Image.new("1", (64, 64), 1).save(out, "PNG")
    original = out.getvalue()
    result = run(original, ImageOptions(convert=target), name="flat.png")
    assert result.data == original
    assert result.media == mediatype.PNG
    assert result.name == "flat.png"
    assert "would be larger" in result.notes[0]
    forced = run(original, ImageOptions(convert=target, force_convert=True), name="flat.png")
    assert forced.media.extension in ("jpg", "avif")
    assert len(forced.data) > len(original)


def test_resize_keeps_the_aspect_ratio_and_never_enlarges() -> None:
    out = io.BytesIO()
    marked((400, 200)).save(out, "PNG")
    shrunk = run(out.getvalue(), ImageOptions(max_width=100), name="a.png")
    with Image.open(io.BytesIO(shrunk.data)) as image:
        assert image.size == (100, 50)
    kept = run(out.getvalue(), ImageOptions(max_width=1000, max_height=1000), name="a.png")
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (400, 200)
    tall = run(out.getvalue(), ImageOptions(max_height=20), name="a.png")
    with Image.open(io.BytesIO(tall.data)) as image:
        assert image.size == (40, 20)


def test_transparent_png_to_jpeg_goes_on_white() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (300, 300), (0, 0, 0, 0)).save(out, "PNG")
    result = run(out.getvalue(), ImageOptions(convert="jpeg", force_convert=True), name="a.png")
    with Image.open(io.BytesIO(result.data)) as image:
        assert image.convert("RGB").getpixel((150, 150)) == (255, 255, 255)


def test_animated_gif_is_never_flattened() -> None:
    original = animated_gif()
    result = run(original, ImageOptions(convert="webp", max_width=4), name="a.gif")
    assert result.data == original
    assert "animated image left unconverted" in result.notes[0]


def test_a_pixel_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(InputError, match="100000x100000 pixels") as info:
        run(pixel_bomb_png(), ImageOptions(convert="webp"), name="bomb.png")
    assert info.value.exit_code == 4


def test_a_truncated_jpeg_is_a_clear_error() -> None:
    original = photo_jpeg()
    with pytest.raises(InputError, match="damaged JPEG"):
        run(original[: len(original) // 2])


def test_a_corrupt_png_is_a_clear_error() -> None:
    original = bytearray(png_with_metadata())
    original[40] ^= 0xFF  # inside a chunk: its CRC no longer matches
    with pytest.raises(InputError, match="damaged PNG"):
        run(bytes(original), name="a.png")


def test_a_clean_png_is_uploaded_as_it_is_even_if_its_pixels_spell_exif() -> None:
    original = grey_png_stored(b"..Exif..<x:xmpmeta")
    assert b"Exif" in original and b"<x:xmpmeta" in original
    result = run(original, name="a.png")
    assert result.data == original
    assert result.removed == ()


def test_bytes_after_the_end_of_a_png_are_dropped() -> None:
    clean = grey_png_stored(b"abcd")
    result = run(clean + b"PK\x03\x04 a zip archive riding along", name="a.png")
    assert result.data == clean
    assert result.removed == ("data after the image",)


def test_formats_b2img_cannot_rewrite_are_refused_when_they_carry_exif() -> None:
    out = io.BytesIO()
    marked().save(out, "TIFF", exif=gps_exif())
    with pytest.raises(InputError, match="cannot remove from TIFF") as info:
        run(out.getvalue(), name="a.tiff")
    assert "--keep-metadata" in (info.value.hint or "")
    converted = run(out.getvalue(), ImageOptions(convert="png"), name="a.tiff")
    assert converted.media == mediatype.PNG
    assert b"PhoneMaker" not in converted.data
