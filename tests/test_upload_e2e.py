"""The real CLI against moto's S3 server on loopback; assertions read back what the server holds."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from conftest import SECRET_ENV, Bucket
from helpers import jpeg_bytes, month, write_png


def test_upload_stores_bytes_type_and_cache_control(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "shot.png")
    done = run("upload", "--no-copy", str(image))
    assert done.returncode == 0, done.stderr
    key = f"{month()}/shot.png"
    assert done.stdout == f"![shot]({profile.prefix}/{key})\n"
    stored = profile.get(key)
    assert stored["Data"] == image.read_bytes()
    assert stored["ContentType"] == "image/png"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert "Traceback" not in done.stderr


def test_no_acl_and_no_checksum_headers_are_sent(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "a.png")
    assert run("upload", "--no-copy", str(image)).returncode == 0
    client = profile.server.client()
    key = f"{month()}/a.png"
    grants = client.get_object_acl(Bucket=profile.name, Key=key)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only: no x-amz-acl
    head = client.head_object(Bucket=profile.name, Key=key, ChecksumMode="ENABLED")
    assert not [k for k in head if k.startswith("Checksum")]


def test_acl_is_sent_when_the_profile_sets_it(profile: Bucket, tmp_path: Path, run):
    profile.use(acl="public-read")
    image = write_png(tmp_path / "a.png")
    assert run("upload", "--no-copy", str(image)).returncode == 0
    grants = profile.server.client().get_object_acl(Bucket=profile.name, Key=f"{month()}/a.png")[
        "Grants"
    ]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)


def test_content_type_comes_from_the_bytes(profile: Bucket, tmp_path: Path, run):
    fake = tmp_path / "really-a-jpeg.png"
    fake.write_bytes(jpeg_bytes())
    assert run("upload", "--no-copy", str(fake)).returncode == 0
    stored = profile.get(f"{month()}/really-a-jpeg.png")
    assert stored["ContentType"] == "image/jpeg"


NASTY_NAMES = [
    "a b.png",
    "a+b.png",
    "hash#tag.png",
    "what?.png",
    "100%.png",
    "截图 2026.png",
    "emoji 😀.png",
    "(paren) [x] & 'q'.png",
]


def test_printed_urls_fetch_exactly_the_uploaded_objects(profile: Bucket, tmp_path: Path, run):
    files = []
    for index, name in enumerate(NASTY_NAMES):
        files.append(write_png(tmp_path / "in" / name, color=(index, 2 * index, 3, 255)))
    done = run("upload", "--no-copy", "--format", "url", *map(str, files))
    assert done.returncode == 0, done.stderr
    urls = done.stdout.splitlines()
    assert len(urls) == len(files)
    for url, path in zip(urls, files, strict=True):
        status, body, _ = profile.server.signed_get(url)
        assert status == 200, (url, body[:200])
        assert body == path.read_bytes()
    assert profile.list_keys() == sorted(f"{month()}/{n}" for n in NASTY_NAMES)


def test_many_files_keep_input_order(profile: Bucket, tmp_path: Path, run):
    files = [write_png(tmp_path / f"img{i:02d}.png", color=(i, 0, 0, 255)) for i in range(20)]
    profile.use(upload_path="{md5}.{extName}")
    done = run("upload", "--no-copy", "-j", "8", "-f", "{key}", *map(str, files))
    assert done.returncode == 0, done.stderr
    expected = [hashlib.md5(f.read_bytes()).hexdigest() + ".png" for f in files]
    assert done.stdout.splitlines() == expected
    assert profile.list_keys() == sorted(expected)


def test_partial_failure_prints_the_good_links(profile: Bucket, tmp_path: Path, run):
    good1 = write_png(tmp_path / "one.png")
    good2 = write_png(tmp_path / "two.png", color=(1, 2, 3, 4))
    done = run(
        "upload", "--no-copy", "-f", "url", str(good1), str(tmp_path / "gone.png"), str(good2)
    )
    assert done.returncode == 4
    assert done.stdout.splitlines() == [
        f"{profile.prefix}/{month()}/one.png",
        f"{profile.prefix}/{month()}/two.png",
    ]
    assert f"Error: {tmp_path / 'gone.png'}: no such file" in done.stderr
    assert "Traceback" not in done.stderr
    assert profile.list_keys() == [f"{month()}/one.png", f"{month()}/two.png"]


def test_json_document(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "j.png")
    text = tmp_path / "notes.png"
    text.write_text("just text")
    done = run("upload", "--no-copy", "--json", str(image), str(text))
    assert done.returncode == 4
    key = f"{month()}/j.png"
    url = f"{profile.prefix}/{key}"
    assert json.loads(done.stdout) == {
        "version": 1,
        "command": "upload",
        "profile": "blog",
        "dry_run": False,
        "ok": False,
        "results": [
            {
                "source": str(image),
                "ok": True,
                "key": key,
                "url": url,
                "link": f"![j]({url})",
                "content_type": "image/png",
                "size": image.stat().st_size,
                "reused": None,
                "renamed_from": None,
                "original_size": None,
                "removed": [],
                "notes": [],
            },
            {
                "source": str(text),
                "ok": False,
                "error": {
                    "type": "input",
                    "exit_code": 4,
                    "message": f"{text} is not an image (its content matches no known image "
                    "format)",
                    "hint": "b2img uploads PNG, JPEG, GIF, WebP, AVIF, HEIC, BMP, TIFF, ICO and "
                    "JPEG XL; --any-file uploads other files",
                },
            },
        ],
    }


def test_dry_run_uploads_nothing_and_needs_no_secret(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "d.png")
    done = run("upload", "--dry-run", str(image), env={SECRET_ENV: ""})
    assert done.returncode == 0, done.stderr
    key = f"{month()}/d.png"
    assert done.stdout == f"![d]({profile.prefix}/{key})\n"
    assert f"would upload {image} → {key} (image/png," in done.stderr
    assert profile.list_keys() == []


def test_formats_html_bbcode_and_custom_with_size(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "s.png", size=(33, 21))
    url = f"{profile.prefix}/{month()}/s.png"
    for fmt, expected in [
        ("html", f'<img src="{url}" alt="s">'),
        ("bbcode", f"[img]{url}[/img]"),
        (
            '<img src="{url}" width="{width}" height="{height}">',
            f'<img src="{url}" width="33" height="21">',
        ),
    ]:
        done = run("upload", "--no-copy", "--dry-run", "--format", fmt, str(image))
        assert done.stdout == expected + "\n"


def test_profile_link_format_is_the_default(profile: Bucket, tmp_path: Path, run):
    profile.use(link_format="url")
    image = write_png(tmp_path / "u.png")
    done = run("upload", "--dry-run", str(image))
    assert done.stdout == f"{profile.prefix}/{month()}/u.png\n"


def test_secret_from_a_command(profile: Bucket, tmp_path: Path, run):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(profile.server.secret_key + "\n")
    profile.use(secret_access_key={"command": f"cat '{secret_file}'"})
    image = write_png(tmp_path / "c.png")
    done = run("upload", "--no-copy", str(image), env={SECRET_ENV: ""})
    assert done.returncode == 0, done.stderr
    assert profile.get(f"{month()}/c.png")["Data"] == image.read_bytes()


def test_aws_environment_is_ignored(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "e.png")
    env = {
        "AWS_PROFILE": "does-not-exist",
        "AWS_ACCESS_KEY_ID": "AKIAWRONG",
        "AWS_SECRET_ACCESS_KEY": "wrong",
        "AWS_CONFIG_FILE": str(tmp_path / "nope"),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_REQUEST_CHECKSUM_CALCULATION": "when_supported",
    }
    done = run("upload", "--no-copy", str(image), env=env)
    assert done.returncode == 0, done.stderr
    assert profile.list_keys() == [f"{month()}/e.png"]


def test_wrong_secret_is_an_auth_error_without_the_secret(profile: Bucket, tmp_path: Path, run):
    images = [write_png(tmp_path / f"w{i}.png") for i in range(3)]
    wrong = "wrong-secret-value-1234567890"
    done = run("upload", "--no-copy", *map(str, images), env={SECRET_ENV: wrong})
    assert done.returncode == 5
    assert done.stdout == ""
    assert "refused the credentials of profile 'blog'" in done.stderr
    assert "(HTTP 403)" in done.stderr
    assert done.stderr.count("Hint:") == 1
    assert wrong not in done.stderr
    assert profile.server.secret_key not in done.stderr
    assert "Traceback" not in done.stderr
    assert profile.list_keys() == []


def test_missing_bucket_is_a_config_error(profile: Bucket, tmp_path: Path, run):
    profile.use(bucket="no-such-bucket-b2img")
    done = run("upload", "--no-copy", str(write_png(tmp_path / "m.png")))
    assert done.returncode == 3
    assert "bucket 'no-such-bucket-b2img' does not exist" in done.stderr


def test_unreachable_endpoint_fails_quickly(profile: Bucket, tmp_path: Path, run):
    from s3server import free_port

    profile.use(endpoint=f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    done = run("upload", "--no-copy", str(write_png(tmp_path / "x.png")), timeout=60)
    assert done.returncode == 6
    assert time.monotonic() - started < 30
    assert "cannot reach http://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_dash_m(profile: Bucket, tmp_path: Path):
    import subprocess
    import sys

    image = write_png(tmp_path / "m.png")
    done = subprocess.run(
        [sys.executable, "-m", "b2img", "upload", "--no-copy", "-f", "url", str(image)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert profile.get(f"{month()}/m.png")["Data"] == image.read_bytes()


def test_clipboard_failure_is_only_a_warning(profile: Bucket, tmp_path: Path, run):
    done = run("upload", str(write_png(tmp_path / "w.png")))
    assert done.returncode == 0
    assert "Warning: could not copy the links to the clipboard" in done.stderr
    assert done.stdout.startswith("![w](")


def test_a_silent_server_times_out(profile: Bucket, tmp_path: Path, run):
    """A server that accepts connections and never answers: bounded by B2IMG_TIMEOUT."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        profile.use(endpoint=f"http://127.0.0.1:{listener.getsockname()[1]}")
        started = time.monotonic()
        image = str(write_png(tmp_path / "t.png"))
        done = run("upload", "--no-copy", image, env={"B2IMG_TIMEOUT": "1"})
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for sock in held:
            sock.close()
        listener.close()
    assert done.returncode == 6, done.stderr
    assert "ReadTimeoutError" in done.stderr
    assert len(held) >= 3  # retried (standard mode), then given up
    assert elapsed < 20


def test_bad_timeout_setting(profile: Bucket, tmp_path: Path, run):
    done = run("upload", str(write_png(tmp_path / "t.png")), env={"B2IMG_TIMEOUT": "soon"})
    assert done.returncode == 3
    assert "B2IMG_TIMEOUT='soon' is not a number of seconds" in done.stderr
