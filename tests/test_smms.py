"""The SM.MS / S.EE backend against a loopback server that speaks its API (tests/smmsserver.py).

Every test asserts on what the server received or holds: the multipart field, the header, the
bytes, what it deleted.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import smmsserver
from helpers import write_config, write_png
from PIL import Image
from smmsserver import LEGACY_BASE, SmmsState

TOKEN_ENV = "TEST_SMMS_TOKEN"


@pytest.fixture
def smms(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmmsState]:
    with smmsserver.running() as state:
        monkeypatch.setenv(TOKEN_ENV, state.token)
        write_config(
            {"pics": {"backend": "smms", "token": {"env": TOKEN_ENV}, "api_base": state.api()}}
        )
        yield state


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def test_upload_sends_the_file_as_smfile_with_the_token(smms: SmmsState, tmp_path: Path, run):
    image = write_png(tmp_path / "my cat.png")
    done = run("upload", "--no-copy", str(image))
    assert done.returncode == 0, done.stderr
    (received,) = smms.received
    assert received.path == "/api/v1/file/upload"
    assert received.field == "smfile"
    assert received.filename == "my cat.png"
    assert received.content_type == "image/png"
    assert received.headers["Authorization"] == smms.token
    assert received.data == image.read_bytes()
    (stored,) = smms.images.values()
    url = f"{smms.url}/i{quote(stored.path)}"  # the service's URL, encoded like every link
    assert "%20" in url
    assert done.stdout == f"![my cat]({url})\n"
    assert fetch(url) == image.read_bytes()
    assert smms.token not in done.stdout + done.stderr


def test_legacy_api_base(smms: SmmsState, tmp_path: Path, run, monkeypatch):
    write_config(
        {
            "pics": {
                "backend": "smms",
                "token": {"env": TOKEN_ENV},
                "api_base": smms.api(LEGACY_BASE) + "/",
            }
        }
    )
    done = run("upload", "--no-copy", "-f", "url", str(write_png(tmp_path / "a.png")))
    assert done.returncode == 0, done.stderr
    assert [r.path for r in smms.received] == ["/api/v2/upload"]
    assert fetch(done.stdout.strip()) == (tmp_path / "a.png").read_bytes()


def test_the_duplicate_answer_gives_the_existing_url(smms: SmmsState, tmp_path: Path, run):
    image = write_png(tmp_path / "a.png")
    first = run("upload", "--no-copy", "-f", "url", str(image))
    assert first.returncode == 0, first.stderr
    again = run("upload", "--no-copy", "-f", "url", "--force", str(image))  # skip the history
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert len(smms.received) == 2 and len(smms.images) == 1
    # Without --force the history answers and nothing is sent.
    third = run("upload", "--no-copy", "-f", "url", str(image))
    assert third.stdout == first.stdout
    assert len(smms.received) == 2
    assert "already uploaded (from the history)" in third.stderr


def test_a_refused_token_is_an_auth_error(smms: SmmsState, tmp_path: Path, run):
    done = run(
        "upload", "--no-copy", str(write_png(tmp_path / "a.png")), env={TOKEN_ENV: "wrong-token"}
    )
    assert done.returncode == 5
    assert "refused the token of profile 'pics'" in done.stderr
    assert "wrong-token" not in done.stderr and "Traceback" not in done.stderr
    assert smms.images == {}


def test_success_false_with_http_200_is_a_failure_with_its_message(
    smms: SmmsState, tmp_path: Path, run
):
    answer = {"success": False, "code": "flood", "message": "Upload file frequency limit."}
    smms.script.append((200, json.dumps(answer).encode()))
    done = run("upload", "--no-copy", "--json", str(write_png(tmp_path / "a.png")))
    assert done.returncode == 6
    result = json.loads(done.stdout)["results"][0]
    assert result["ok"] is False
    assert "said: Upload file frequency limit." in result["error"]["message"]
    assert smms.images == {}


def test_an_answer_without_json_is_a_failure(smms: SmmsState, tmp_path: Path, run):
    smms.script.extend([(502, b"<html>Bad gateway</html>")] * 3)
    done = run("upload", "--no-copy", str(write_png(tmp_path / "a.png")))
    assert done.returncode == 6
    assert "answered HTTP 502 without JSON" in done.stderr


def test_a_busy_service_is_retried(smms: SmmsState, tmp_path: Path, run):
    smms.script.append((503, b'{"success": false, "message": "busy"}'))
    image = write_png(tmp_path / "a.png")
    done = run("upload", "--no-copy", "-f", "url", str(image))
    assert done.returncode == 0, done.stderr
    assert fetch(done.stdout.strip()) == image.read_bytes()
    posts = [r for r in smms.requests if r[0] == "POST"]
    assert len(posts) == 2


def test_the_5_mb_limit_is_checked_before_sending(smms: SmmsState, tmp_path: Path, run):
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    big = tmp_path / "noise.png"
    noise.save(big, "PNG")
    assert big.stat().st_size > 5 * 1024 * 1024
    done = run("upload", "--no-copy", str(big))
    assert done.returncode == 4
    assert "over SM.MS's 5 MB limit; nothing was sent" in done.stderr
    assert "--convert webp" in done.stderr
    assert smms.requests == []


def test_delete_uses_the_hash_from_the_history(smms: SmmsState, tmp_path: Path, run):
    image = write_png(tmp_path / "a.png")
    url = run("upload", "--no-copy", "-f", "url", str(image)).stdout.strip()
    (stored,) = smms.images.values()
    history = run("history", "--json")
    assert stored.hash not in history.stdout  # the delete hash is never printed
    with sqlite3.connect(Path(os.environ["B2IMG_DATA_DIR"]) / "history.sqlite3") as db:
        assert db.execute("SELECT delete_token FROM uploads").fetchall() == [(stored.hash,)]
    done = run("delete", "--yes", url)
    assert done.returncode == 0, done.stderr
    assert smms.deleted == [stored.path]
    assert smms.images == {}
    assert json.loads(run("history", "--json").stdout)["uploads"] == []
    deletes = [r for r in smms.requests if "/delete/" in r[1]]
    assert deletes[0][1] == f"/api/v1/file/delete/{stored.hash}"
    assert deletes[0][2]["Authorization"] == smms.token


def test_delete_of_an_unknown_link_explains_why(smms: SmmsState, run):
    done = run("delete", "--yes", f"{smms.url}/i/2026/01/01/abc/x.png")
    assert done.returncode == 4
    assert "only with its delete hash" in done.stderr
    assert [r for r in smms.requests if "/delete/" in r[1]] == []


def test_a_batch_keeps_input_order(smms: SmmsState, tmp_path: Path, run):
    files = [write_png(tmp_path / f"b{i}.png", color=(i, 9, 9, 9)) for i in range(4)]
    done = run("upload", "--no-copy", "-j", "4", "-f", "url", *map(str, files))
    assert done.returncode == 0, done.stderr
    urls = done.stdout.split()
    assert [fetch(u) for u in urls] == [f.read_bytes() for f in files]


def test_dry_run_sends_nothing(smms: SmmsState, tmp_path: Path, run):
    done = run("upload", "--dry-run", "-f", "{key} {url}", str(write_png(tmp_path / "a.png")))
    assert done.returncode == 0
    assert (
        done.stdout == f"a.png (SM.MS (127.0.0.1:{smms.url.rsplit(':', 1)[1]}) chooses the link)\n"
    )
    assert smms.requests == []


def test_conversion_before_upload(smms: SmmsState, tmp_path: Path, run):
    photo = Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3))
    path = tmp_path / "photo.png"
    photo.save(path, "PNG")
    done = run("upload", "--no-copy", "--convert", "webp", "--force-convert", str(path))
    assert done.returncode == 0, done.stderr
    (received,) = smms.received
    assert received.filename == "photo.webp"
    assert received.content_type == "image/webp"
    assert Image.open(io.BytesIO(received.data)).format == "WEBP"


def test_init_offers_smms_and_checks_the_token(smms: SmmsState, run):
    answers = "\n".join(["new", "smms", "env", TOKEN_ENV, smms.api(), "url"]) + "\n"
    done = run("init", input=answers.encode())
    assert done.returncode == 0, done.stderr
    assert "The service accepts the token." in done.stderr
    listed = [r for r in smms.requests if r[1] == "/api/v1/files"]
    assert listed and listed[0][2]["Authorization"] == smms.token
    shown = json.loads(run("profile", "show", "new", "--json").stdout)
    assert shown["backend"] == "smms"
    assert shown["token"] == {"source": "env", "name": TOKEN_ENV}
    assert shown["link_format"] == "url"
    assert "upload_path" not in shown


def test_init_with_a_refused_token_saves_nothing_unless_asked(smms: SmmsState):
    from typer.testing import CliRunner

    from b2img.cli import app

    answers = "\n".join(["new", "smms", "file", "bad-token", smms.api(), "markdown", "n"])
    result = CliRunner().invoke(app, ["init"], input=answers + "\n")
    assert result.exit_code == 5
    assert "refused the token" in result.stderr
    assert "bad-token" not in result.output
    assert "new" not in Path(os.environ["B2IMG_CONFIG"]).read_text()
