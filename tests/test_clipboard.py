"""`b2img paste` under real display servers (Xvfb + xclip, headless sway + wl-clipboard)."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import Bucket
from displays import sway, wl_get, wl_put, x_get, x_put, xvfb
from helpers import jpeg_bytes, month, png_bytes, write_png
from PIL import Image


@pytest.fixture
def display(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with xvfb() as name:
        monkeypatch.setenv("DISPLAY", name)
        yield name


def rgba_png() -> bytes:
    image = Image.new("RGBA", (16, 9), (0, 0, 0, 0))
    image.putpixel((3, 4), (10, 200, 30, 77))
    image.putpixel((15, 8), (255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def only_key(bucket: Bucket) -> str:
    (key,) = bucket.list_keys()
    return key


def test_paste_uploads_the_clipboard_image_with_its_alpha(profile: Bucket, display: str, run):
    original = rgba_png()
    x_put(display, "image/png", original)
    done = run("paste", "-f", "url")
    assert done.returncode == 0, done.stderr
    key = only_key(profile)
    assert re.fullmatch(rf"{month()}/\d{{17}}\.png", key), key
    stored = profile.get(key)
    assert stored["ContentType"] == "image/png"
    assert stored["Data"] == original
    with Image.open(io.BytesIO(stored["Data"])) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((3, 4)) == (10, 200, 30, 77)
        assert image.getpixel((0, 0)) == (0, 0, 0, 0)
    url = f"{profile.prefix}/{key}"
    assert done.stdout == url + "\n"
    assert x_get(display) == url  # the link replaced the image on the clipboard


def test_name_option(profile: Bucket, display: str, run):
    x_put(display, "image/png", png_bytes())
    done = run("paste", "--name", "架构 diagram", "--no-copy")
    assert done.returncode == 0, done.stderr
    assert profile.list_keys() == [f"{month()}/架构 diagram.png"]
    assert (
        done.stdout == f"![架构 diagram]({profile.prefix}/{month()}/{quote('架构 diagram.png')})\n"
    )
    assert run("paste", "--name", "a/b", "--no-copy").returncode == 4


def test_a_jpeg_stays_a_jpeg(profile: Bucket, display: str, run):
    data = jpeg_bytes()
    x_put(display, "image/jpeg", data)
    assert run("paste", "--no-copy", "--name", "photo").returncode == 0
    stored = profile.get(f"{month()}/photo.jpg")
    assert stored["Data"] == data
    assert stored["ContentType"] == "image/jpeg"


def test_a_bmp_becomes_a_png_with_the_same_pixels(profile: Bucket, display: str, run):
    image = Image.new("RGB", (5, 4), (9, 8, 7))
    out = io.BytesIO()
    image.save(out, "BMP")
    x_put(display, "image/bmp", out.getvalue())
    assert run("paste", "--no-copy", "--name", "shot").returncode == 0
    stored = profile.get(f"{month()}/shot.png")
    assert stored["ContentType"] == "image/png"
    with Image.open(io.BytesIO(stored["Data"])) as back:
        assert back.convert("RGB").tobytes() == image.tobytes()


def test_copied_files_are_uploaded_in_order(profile: Bucket, display: str, run, tmp_path: Path):
    first = write_png(tmp_path / "图 one.png", color=(1, 1, 1, 255))
    second = write_png(tmp_path / "two+2.png", color=(2, 2, 2, 255))
    uris = "".join(f"file://{quote(str(p))}\r\n" for p in (first, second))
    x_put(display, "text/uri-list", ("# copied\r\n" + uris).encode())
    done = run("paste", "--no-copy", "-f", "{key}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{month()}/图 one.png", f"{month()}/two+2.png"]
    assert profile.get(f"{month()}/two+2.png")["Data"] == second.read_bytes()


def test_copied_paths_as_plain_text(profile: Bucket, display: str, run, tmp_path: Path):
    image = write_png(tmp_path / "plain.png")
    x_put(display, "UTF8_STRING", f"{image}\n".encode())
    done = run("paste", "--no-copy", "-f", "{key}")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{month()}/plain.png\n"


def test_copied_non_image_file_is_refused(profile: Bucket, display: str, run, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    x_put(display, "text/uri-list", f"file://{notes}\n".encode())
    done = run("paste", "--no-copy")
    assert done.returncode == 4
    assert "is not an image" in done.stderr
    assert profile.list_keys() == []


def test_empty_clipboard(profile: Bucket, display: str, run):
    done = run("paste")
    assert done.returncode == 4
    assert "Error: no image on the clipboard (the clipboard is empty)" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_text_only_clipboard(profile: Bucket, display: str, run):
    x_put(display, "UTF8_STRING", b"just some words")
    done = run("paste")
    assert done.returncode == 4
    assert "no image on the clipboard (the clipboard holds text, not an image)" in done.stderr


def test_image_target_with_non_image_bytes(profile: Bucket, display: str, run):
    x_put(display, "image/png", b"definitely not a png")
    done = run("paste")
    assert done.returncode == 4
    assert "no image on the clipboard" in done.stderr


def test_no_display(profile: Bucket, run):
    done = run("paste")
    assert done.returncode == 4
    assert "no graphical session" in done.stderr
    assert "Hint:" in done.stderr


def test_unreachable_display(profile: Bucket, run):
    done = run("paste", env={"DISPLAY": ":4242"})
    assert done.returncode == 4
    assert "xclip cannot open display :4242" in done.stderr


def test_no_clipboard_tool(profile: Bucket, display: str, run, tmp_path: Path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = run("paste", env={"PATH": str(empty)})
    assert done.returncode == 4
    assert "no clipboard tool found" in done.stderr
    assert "install xclip (X11) or wl-clipboard (Wayland)" in done.stderr


def test_a_hanging_helper_is_cut_off(profile: Bucket, display: str, run, tmp_path: Path):
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    script = fake / "xclip"
    script.write_text("#!/bin/sh\nexec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    started = time.monotonic()
    done = run("paste", env={"PATH": f"{fake}:{os.environ['PATH']}"}, timeout=40)
    assert time.monotonic() - started < 20
    assert done.returncode == 4
    assert "xclip did not answer within 5 s" in done.stderr


def test_picgo_compat_without_files_uploads_the_clipboard(profile: Bucket, display: str, run):
    x_put(display, "image/png", png_bytes())
    done = run("upload", "--picgo-compat", "--no-copy")
    assert done.returncode == 0, done.stderr
    url = f"{profile.prefix}/{only_key(profile)}"
    assert done.stdout == f"[PicGo SUCCESS]: \n{url}\n"


def test_picgo_compat_with_an_empty_clipboard(profile: Bucket, display: str, run):
    done = run("upload", "--picgo-compat")
    assert done.returncode == 4
    assert done.stdout.startswith("[PicGo ERROR]: no image on the clipboard")


def test_wayland_paste(profile: Bucket, monkeypatch: pytest.MonkeyPatch, run):
    with sway() as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        original = rgba_png()
        wl_put(env, "image/png", original)
        done = run("paste", "-f", "url")
        assert done.returncode == 0, done.stderr
        key = only_key(profile)
        assert profile.get(key)["Data"] == original
        assert wl_get(env) == f"{profile.prefix}/{key}"


def test_wayland_empty_clipboard(profile: Bucket, monkeypatch: pytest.MonkeyPatch, run):
    with sway() as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        done = run("paste")
        assert done.returncode == 4
        assert "no image on the clipboard (the clipboard is empty)" in done.stderr


def test_a_dead_wayland_display_falls_back_to_x11(profile: Bucket, display: str, run, tmp_path):
    """XDG_SESSION_TYPE and WAYLAND_DISPLAY lie; the X clipboard still works."""
    x_put(display, "image/png", png_bytes())
    env = {
        "WAYLAND_DISPLAY": "wayland-nope",
        "XDG_RUNTIME_DIR": str(tmp_path),
        "XDG_SESSION_TYPE": "wayland",
    }
    done = run("paste", "--no-copy", env=env)
    assert done.returncode == 0, done.stderr
    assert len(profile.list_keys()) == 1


def test_doctor_sees_the_clipboard_tools(
    display: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run
):
    from b2img import clipboard

    ready, detail = clipboard.tools_status()
    assert ready is True and "xclip" in detail
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = run("doctor", "--json", env={"PATH": str(empty)})  # no config either: exit 3
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["clipboard"]["status"] == "fail"
    assert "install wl-clipboard" in checks["clipboard"]["fix"]
    monkeypatch.delenv("DISPLAY")
    assert clipboard.tools_status() == (
        None,
        "no graphical session (DISPLAY/WAYLAND_DISPLAY unset)",
    )
