"""`b2img server` spoken to as editor plugins (and hostile pages) speak to it."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import Bucket, b2img_bin
from displays import x_put, xvfb
from helpers import png_bytes, probe_cli, write_config, write_png
from s3server import free_port

BY_NAME = "{fileName}.{extName}"  # keys that are just the file names


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log = Path(os.environ["B2IMG_DATA_DIR"]).parent / f"server-{uuid.uuid4().hex[:6]}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [b2img_bin(), "server", "--port", str(port), *args],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env={**os.environ, **(env or {})},
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    status, _, _ = call(port, "POST", "/heartbeat", headers=auth_headers(args))
                    if status in (200, 401):
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text())
                time.sleep(0.05)
            yield port, log
        finally:
            process.terminate()
            process.wait(timeout=10)


def auth_headers(args: tuple[str, ...]) -> dict[str, str]:
    if "--token" in args:
        return {"Authorization": f"Bearer {args[args.index('--token') + 1]}"}
    return {}


def call(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        data = json.loads(raw) if raw else {}
        return response.status, data, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def post_json(port: int, document: object, **headers: str) -> tuple[int, dict[str, Any], dict]:
    return call(
        port,
        "POST",
        "/upload",
        json.dumps(document).encode(),
        {"Content-Type": "application/json", **headers},
    )


@pytest.fixture
def served(profile: Bucket) -> Iterator[tuple[int, Bucket, Path]]:
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    with running() as (port, log):
        yield port, profile, log


def test_heartbeat(served) -> None:
    port, _, _ = served
    assert call(port, "POST", "/heartbeat")[:2] == (200, {"success": True, "result": "alive"})


def test_obsidian_plugin_json_list(served, tmp_path: Path) -> None:
    port, bucket, log = served
    files = [write_png(tmp_path / f"o{i}.png", color=(i, 9, 9, 9)) for i in range(2)]
    status, data, headers = post_json(port, {"list": [str(f) for f in files]})
    assert status == 200, data
    # The plugin reads data.result (PicGo) and data.fullResult (PicList).
    assert data["success"] is True
    assert data["result"] == [f"{bucket.prefix}/o0.png", f"{bucket.prefix}/o1.png"]
    assert [item["imgUrl"] for item in data["fullResult"]] == data["result"]
    for path in files:
        assert bucket.get(path.name)["Data"] == path.read_bytes()
    assert "access-control-allow-origin" not in headers
    assert bucket.server.secret_key not in json.dumps(data)
    assert "POST /upload 200 2 file(s)" in log.read_text()


def test_multipart_upload(served) -> None:
    port, bucket, _ = served
    boundary = "b2imgboundary"
    image = png_bytes(color=(5, 6, 7, 8))
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="pasted.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + image
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, data, _ = call(
        port, "POST", "/upload", body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    assert status == 200, data
    assert data["result"] == [f"{bucket.prefix}/pasted.png"]
    assert bucket.get("pasted.png")["Data"] == image


def test_allowed_origin_gets_cors_for_itself_only(served, tmp_path: Path) -> None:
    port, _, _ = served
    image = write_png(tmp_path / "c.png")
    status, data, headers = post_json(port, {"list": [str(image)]}, Origin="app://obsidian.md")
    assert status == 200, data
    assert headers["access-control-allow-origin"] == "app://obsidian.md"
    status, _, headers = call(
        port, "OPTIONS", "/upload", headers={"Origin": "app://obsidian.md",
                                              "Access-Control-Request-Method": "POST"}
    )  # fmt: skip
    assert status == 204
    assert headers["access-control-allow-origin"] == "app://obsidian.md"


def test_a_web_page_is_refused(served, tmp_path: Path) -> None:
    port, bucket, _ = served
    image = write_png(tmp_path / "w.png")
    status, data, headers = post_json(port, {"list": [str(image)]}, Origin="https://evil.example")
    assert status == 403
    assert "origin https://evil.example is not allowed" in data["message"]
    assert "access-control-allow-origin" not in headers
    # A "simple" cross-site POST, which needs no preflight in a browser.
    status, _, _ = call(
        port, "POST", "/upload", json.dumps({"list": [str(image)]}).encode(),
        {"Content-Type": "text/plain", "Origin": "https://evil.example"},
    )  # fmt: skip
    assert status == 403
    preflight = call(port, "OPTIONS", "/upload", headers={"Origin": "https://evil.example"})
    assert preflight[0] == 403
    assert bucket.list_keys() == []


def test_dns_rebinding_host_is_refused(served, tmp_path: Path) -> None:
    port, bucket, _ = served
    image = write_png(tmp_path / "r.png")
    status, data, _ = post_json(port, {"list": [str(image)]}, Host=f"evil.example:{port}")
    assert status == 403
    assert "Host not allowed" in data["message"]
    assert post_json(port, {"list": [str(image)]}, Host=f"localhost:{port}")[0] == 200
    assert bucket.list_keys() == ["r.png"]


def test_non_images_are_refused_and_nothing_is_uploaded(served, tmp_path: Path) -> None:
    port, bucket, _ = served
    good = write_png(tmp_path / "good.png")
    for listed in (["/etc/passwd"], [str(good), "/etc/passwd"], ["relative.png"], [7]):
        status, data, _ = post_json(port, {"list": listed})
        assert status == 400, (listed, data)
        assert data["success"] is False
    assert bucket.list_keys() == []
    assert "root:" not in json.dumps(data)


def test_bad_requests(served) -> None:
    port, _, _ = served
    assert (
        call(port, "POST", "/upload", b"{not json", {"Content-Type": "application/json"})[0] == 400
    )
    assert call(port, "GET", "/upload")[0] == 405
    assert call(port, "POST", "/nope")[0] == 404
    status, _, _ = call(
        port, "POST", "/upload", b"x", {"Content-Length": str(65 * 2**20),
                                        "Content-Type": "application/json"}
    )  # fmt: skip
    assert status == 413


def test_token_modes(profile: Bucket, tmp_path: Path) -> None:
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    token = "t0ken-" + uuid.uuid4().hex
    image = write_png(tmp_path / "t.png")
    with running("--require-token", "--token", token) as (port, log):
        assert post_json(port, {"list": [str(image)]})[0] == 401
        assert post_json(port, {"list": [str(image)]}, Authorization="Bearer wrong")[0] == 401
        assert post_json(port, {"list": [str(image)]}, Authorization=f"Bearer {token}")[0] == 200
        assert post_json(port, {"list": [str(image)]}, **{"X-PicGo-Secret": token})[0] == 200
        assert call(
            port, "POST", f"/upload?key={token}", json.dumps({"list": [str(image)]}).encode(),
            {"Content-Type": "application/json"},
        )[0] == 200  # fmt: skip
        assert call(port, "POST", f"/heartbeat?secret={token}")[0] == 200
    text = log.read_text()
    assert "key=%2A%2A%2A" in text or "key=***" in text
    assert token not in text


def test_optional_token_is_checked_when_sent(profile: Bucket, tmp_path: Path) -> None:
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    image = write_png(tmp_path / "o.png")
    with running("--token", "abc") as (port, _):
        assert post_json(port, {"list": [str(image)]})[0] == 200
        assert post_json(port, {"list": [str(image)]}, Authorization="Bearer nope")[0] == 401


def test_two_profiles_at_once(s3, profile: Bucket, tmp_path: Path) -> None:
    other = Bucket(s3, s3.create_bucket())
    write_config(
        {
            "blog": profile.table(upload_path=BY_NAME),
            "work": other.table(upload_path=BY_NAME),
        }
    )
    first = write_png(tmp_path / "first.png", color=(1, 1, 1, 1))
    second = write_png(tmp_path / "second.png", color=(2, 2, 2, 2))
    with running() as (port, _):
        answers: dict[str, int] = {}

        def send(path: str, image: Path) -> None:
            body = json.dumps({"list": [str(image)]}).encode()
            answers[path] = call(port, "POST", path, body, {"Content-Type": "application/json"})[0]

        threads = [
            threading.Thread(target=send, args=("/upload?profile=blog", first)),
            threading.Thread(target=send, args=("/upload?picbed=aws-s3&configName=work", second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(answers.values()) == {200}
        assert post_json(port, {"list": [str(first)]})[0] == 200
        status, data, _ = call(
            port, "POST", "/upload?profile=nope", json.dumps({"list": [str(first)]}).encode(),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 400
        assert "profile 'nope' not found" in data["message"]
    assert profile.list_keys() == ["first.png"]
    assert other.list_keys() == ["second.png"]


def test_clipboard_upload_like_picgo_app(profile: Bucket) -> None:
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    with xvfb() as display:
        image = png_bytes(color=(3, 1, 4, 1))
        x_put(display, "image/png", image)
        with running(env={"DISPLAY": display}) as (port, _):
            status, data, _ = call(port, "POST", "/upload")  # no body: the clipboard
            assert status == 200, data
            (url,) = data["result"]
            assert profile.get(url.rsplit("/", 1)[1])["Data"] == image
            status, data, _ = post_json(port, {"list": []})  # an empty list: the clipboard too
            assert status == 200, data


def test_a_slow_client_does_not_block_others(served) -> None:
    port, _, _ = served
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n")
    try:
        started = time.monotonic()
        assert call(port, "POST", "/heartbeat")[0] == 200
        assert time.monotonic() - started < 5
    finally:
        slow.close()


def test_busy_port_is_a_clear_error(profile: Bucket, run) -> None:
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = run("server", "--port", str(taken.getsockname()[1]), timeout=30)
    assert done.returncode == 3
    assert "cannot listen on 127.0.0.1" in done.stderr
    assert "--port" in done.stderr


def test_beyond_loopback_needs_a_token(profile: Bucket, run) -> None:
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    done = run("server", "--host", "0.0.0.0", "--port", "0", timeout=30)  # noqa: S104 - refused before binding
    assert done.returncode == 2
    assert "a token is required" in done.stderr
    done = run("server", "--require-token", timeout=30)
    assert done.returncode == 2


def test_print_config(run) -> None:
    done = run("server", "--print-config", "--port", "40000", "--token", "s3cret")
    assert done.returncode == 0
    assert "http://127.0.0.1:40000/upload?key=<your token>" in done.stdout
    assert "s3cret" not in done.stdout
    assert "app://obsidian.md" in done.stdout


def test_upload_hands_off_to_a_running_server(served, tmp_path: Path, run) -> None:
    port, bucket, log = served
    image = write_png(tmp_path / "handed.png", color=(9, 8, 7, 6))
    env = {"B2IMG_SERVER": f"http://127.0.0.1:{port}"}
    done = run("upload", "--no-copy", "--json", str(image), env=env)
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)["results"]
    assert result["url"] == f"{bucket.prefix}/handed.png"
    assert result["link"] == f"![handed]({bucket.prefix}/handed.png)"
    assert result["content_type"] == "image/png"
    assert bucket.get("handed.png")["Data"] == image.read_bytes()
    assert "POST /upload?profile=blog 200 1 file(s)" in log.read_text()
    # Options that change processing are not handed off.
    lines = log.read_text().count("\n")
    other = write_png(tmp_path / "local.png", color=(1, 2, 3, 4))
    assert run("upload", "--no-copy", "--keep-metadata", str(other), env=env).returncode == 0
    assert log.read_text().count("\n") == lines
    assert "local.png" in bucket.list_keys()
    # A failure the server reports keeps its meaning.
    missing = run("upload", "--no-copy", str(tmp_path / "missing.png"), env=env)
    assert missing.returncode == 4


def test_handoff_falls_back_when_no_b2img_server_answers(profile: Bucket, tmp_path: Path, run):
    write_config({"blog": profile.table(upload_path=BY_NAME)})
    image = write_png(tmp_path / "direct.png")
    closed = run(
        "upload", "--no-copy", str(image), env={"B2IMG_SERVER": f"http://127.0.0.1:{free_port()}"}
    )
    assert closed.returncode == 0, closed.stderr
    assert profile.list_keys() == ["direct.png"]

    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotB2img(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b'{"success": true, "result": ["http://elsewhere/x.png"]}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    impostor = HTTPServer(("127.0.0.1", 0), NotB2img)
    thread = threading.Thread(target=impostor.handle_request, daemon=True)
    thread.start()
    other = write_png(tmp_path / "other.png", color=(4, 4, 4, 4))
    done = run(
        "upload",
        "--no-copy",
        "-f",
        "url",
        str(other),
        env={"B2IMG_SERVER": f"http://127.0.0.1:{impostor.server_address[1]}"},
    )
    impostor.server_close()
    assert done.returncode == 0, done.stderr
    assert "is not a b2img server; uploading directly" in done.stderr
    assert done.stdout == f"{profile.prefix}/other.png\n"


def test_server_routes_to_smms_and_local_profiles(
    profile: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smmsserver

    static = tmp_path / "static"
    static.mkdir()
    image = write_png(tmp_path / "pic.png")
    with smmsserver.running() as smms:
        monkeypatch.setenv("TEST_SMMS_TOKEN", smms.token)
        pics = {"backend": "smms", "token": {"env": "TEST_SMMS_TOKEN"}, "api_base": smms.api()}
        site = {"backend": "local", "directory": str(static), "url_prefix": "/"}
        write_config(
            {
                "blog": profile.table(upload_path=BY_NAME),
                "pics": pics,
                "site": {**site, "upload_path": BY_NAME},
            }
        )
        with running() as (port, _):
            body = json.dumps({"list": [str(image)]}).encode()
            headers = {"Content-Type": "application/json"}
            status, sent, _ = call(port, "POST", "/upload?profile=pics", body, headers)
            assert status == 200, sent
            (stored,) = smms.images.values()
            assert sent["result"] == [f"{smms.url}/i{stored.path}"]
            assert stored.data == image.read_bytes()
            status, copied, _ = call(port, "POST", "/upload?configName=site", body, headers)
            assert status == 200, copied
            assert copied["result"] == ["/pic.png"]
            assert (static / "pic.png").read_bytes() == image.read_bytes()
    assert profile.list_keys() == []


def test_the_fast_lane_hands_off_without_loading_the_cli(served, tmp_path: Path) -> None:
    port, bucket, log = served
    image = write_png(tmp_path / "fast lane.png", color=(5, 6, 7, 8))
    args = ["upload", "--no-copy", "-p", "blog", "--format={key} {url}", str(image)]
    done, loaded = probe_cli(
        args,
        watched=["typer", "botocore", "PIL", "rich", "b2img.config"],
        env={"B2IMG_SERVER": f"http://127.0.0.1:{port}"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"fast lane.png {bucket.prefix}/fast%20lane.png\n"
    assert loaded == ""  # not even the config validation
    assert bucket.get("fast lane.png")["Data"] == image.read_bytes()
    assert "POST /upload?profile=blog 200 1 file(s)" in log.read_text()


def test_the_fast_lane_leaves_failures_to_the_full_command(served, tmp_path: Path, run) -> None:
    port, bucket, _ = served
    good = write_png(tmp_path / "good.png", color=(3, 3, 3, 3))
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    env = {"B2IMG_SERVER": f"http://127.0.0.1:{port}"}
    done = run("upload", "--no-copy", "-f", "url", str(good), str(fake), env=env)
    assert done.returncode == 4
    assert done.stdout == f"{bucket.prefix}/good.png\n"  # printed once, by the full command
    assert "fake.png is not an image" in done.stderr
    assert bucket.list_keys() == ["good.png"]


def test_the_config_is_parsed_again_only_when_it_changes(
    profile: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2img.cli import server_cmd

    config = write_config({"blog": profile.table(upload_path=BY_NAME)})
    state = server_cmd._State(None)
    monkeypatch.setattr(server_cmd, "SETTLE_NS", 0)
    first = state.config()
    assert state.config() is first  # unchanged: not parsed again
    before = config.stat()
    time.sleep(0.05)  # past a tick of the file system's clock
    # An edit that keeps the size and the modification time (cp -p, rsync -t) is still seen.
    write_config({"blog": profile.table(upload_path="{fileName}-{extName}")})
    os.utime(config, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert config.stat().st_size == before.st_size
    edited = state.config()
    assert str(edited.profile("blog").upload_path) != str(first.profile("blog").upload_path)
    monkeypatch.setattr(server_cmd, "SETTLE_NS", 3600 * 10**9)
    assert state.config() is not edited  # changed just now: read again on every request
