"""The image pipeline through the CLI and moto's S3 server: what the bucket ends up holding."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import SECRET_ENV, Bucket
from helpers import month, write_config
from images import noisy_photo, photo_jpeg, pixel_bomb_png, scan_data
from PIL import Image


def test_uploaded_photo_has_no_exif(profile: Bucket, tmp_path: Path, run):
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(photo_jpeg())
    done = run("upload", "--no-copy", str(photo))
    assert done.returncode == 0, done.stderr
    stored = profile.get(f"{month()}/holiday.jpg")
    assert stored["ContentType"] == "image/jpeg"
    assert b"PhoneMaker" not in stored["Data"]
    assert scan_data(stored["Data"]) == scan_data(photo.read_bytes())
    with Image.open(io.BytesIO(stored["Data"])) as image:
        assert not image.getexif()


def test_dry_run_reports_sizes_and_what_is_removed(profile: Bucket, tmp_path: Path, run):
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(photo_jpeg())
    done = run("upload", "--dry-run", str(photo))
    assert done.returncode == 0
    assert f"{photo.stat().st_size / 1000:.1f} kB →" in done.stderr
    assert "removed EXIF (with GPS location), XMP, comment" in done.stderr
    data = json.loads(run("upload", "--dry-run", "--json", str(photo)).stdout)
    (result,) = data["results"]
    assert result["original_size"] == photo.stat().st_size
    assert result["size"] < result["original_size"]
    assert result["removed"] == ["EXIF (with GPS location)", "XMP", "comment"]
    assert profile.list_keys() == []


def test_keep_metadata(profile: Bucket, tmp_path: Path, run):
    photo = tmp_path / "raw.jpg"
    photo.write_bytes(photo_jpeg())
    assert run("upload", "--no-copy", "--keep-metadata", str(photo)).returncode == 0
    assert profile.get(f"{month()}/raw.jpg")["Data"] == photo.read_bytes()


def test_convert_changes_key_and_type(profile: Bucket, tmp_path: Path, run):
    photo = tmp_path / "big photo.jpg"
    photo.write_bytes(noisy_photo())
    done = run(
        "upload", "--no-copy", "--convert", "webp", "--max-width", "400", "-f", "{key}", str(photo)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{month()}/big photo.webp\n"
    stored = profile.get(f"{month()}/big photo.webp")
    assert stored["ContentType"] == "image/webp"
    with Image.open(io.BytesIO(stored["Data"])) as image:
        assert image.size == (400, 300)


def test_profile_image_defaults(profile: Bucket, tmp_path: Path, run):
    write_config(
        {
            "blog": {
                "endpoint": profile.server.endpoint,
                "region": "us-west-004",
                "bucket": profile.name,
                "access_key_id": profile.server.access_key,
                "secret_access_key": {"env": SECRET_ENV},
                "path_style": True,
                "url_prefix": profile.prefix,
                "upload_path": "{fileName}.{extName}",
                "image": {"convert": "webp", "quality": 70, "max_width": 200},
            }
        }
    )
    photo = tmp_path / "p.jpg"
    photo.write_bytes(noisy_photo())
    assert run("upload", "--no-copy", str(photo)).returncode == 0
    with Image.open(io.BytesIO(profile.get("p.webp")["Data"])) as image:
        assert image.size == (200, 150)


def test_svg_only_when_allowed_and_as_a_download(profile: Bucket, tmp_path: Path, run):
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    refused = run("upload", "--no-copy", str(svg))
    assert refused.returncode == 4
    assert "--allow-svg" in refused.stderr
    assert run("upload", "--no-copy", "--allow-svg", str(svg)).returncode == 0
    stored = profile.get(f"{month()}/logo.svg")
    assert stored["ContentType"] == "image/svg+xml"
    assert stored["ContentDisposition"] == "attachment"
    assert stored["Data"] == svg.read_bytes()


def test_text_named_jpg(profile: Bucket, tmp_path: Path, run):
    fake = tmp_path / "notes.jpg"
    fake.write_text("not an image")
    assert run("upload", "--no-copy", str(fake)).returncode == 4
    assert run("upload", "--no-copy", "--any-file", str(fake)).returncode == 0
    stored = profile.get(f"{month()}/notes.jpg")
    assert stored["ContentType"] == "application/octet-stream"
    assert stored["Data"] == b"not an image"


def test_pixel_bomb_is_refused(profile: Bucket, tmp_path: Path, run):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(pixel_bomb_png())
    done = run("upload", "--no-copy", str(bomb))
    assert done.returncode == 4
    assert "pixel bomb" in done.stderr
    assert profile.list_keys() == []


def test_bad_convert_value(profile: Bucket, tmp_path: Path, run):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(photo_jpeg())
    done = run("upload", "--convert", "bmp", str(photo))
    assert done.returncode == 2
    assert "'bmp' is not one of webp, avif, jpeg, png" in done.stderr
