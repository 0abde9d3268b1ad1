"""The source document's whole system, end to end: b2img uploads to a private bucket (moto,
SigV4 enforced), the Worker (Miniflare) serves it with a read-only key, and `b2img doctor`
checks the chain, passing when it works and naming the broken link when it does not."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import smmsserver
import workerserver
from conftest import SECRET_ENV, Bucket
from fakes import web_server
from helpers import write_config, write_png
from s3server import free_port
from test_worker import worker_bindings

from b2img.doctor import _clock_check


@pytest.fixture
def chain(profile: Bucket) -> Iterator[tuple[Bucket, str]]:
    """The private bucket behind a Worker; the profile's url_prefix is the Worker."""
    key = profile.server.read_only_key(profile.name)
    with workerserver.running(worker_bindings(profile.server.endpoint, profile.name, key)) as url:
        profile.use(url_prefix=url)
        yield profile, url


def statuses(done) -> dict[str, str]:
    return {c["id"]: c["status"] for c in json.loads(done.stdout)["checks"]}


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_upload_then_the_link_serves_it_and_the_bucket_refuses_strangers(
    chain: tuple[Bucket, str], tmp_path: Path, run
) -> None:
    bucket, worker = chain
    image = write_png(tmp_path / "my pic+1.png")
    done = run("upload", "--no-copy", "-f", "url", str(image))
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert link.startswith(worker + "/")
    assert get(link) == (200, image.read_bytes())
    key = bucket.list_keys()[0]
    direct = f"{bucket.server.endpoint}/{bucket.name}/{urllib.parse.quote(key)}"
    status, body = get(direct)
    assert status == 403 and body != image.read_bytes()


def test_doctor_passes_on_the_working_chain(chain: tuple[Bucket, str], run) -> None:
    bucket, worker = chain
    done = run("doctor", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert statuses(done) == {
        "config": "ok",
        "secret": "ok",
        "reach": "ok",
        "clock": "ok",
        "credentials": "ok",
        "bucket": "ok",
        "write": "ok",
        "link": "ok",
        "cache": "ok",
        "private": "ok",
        "delete": "ok",
        "clipboard": "skip",  # no display in the tests
    }
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["cache"]["detail"] == "public, max-age=31536000, immutable"
    assert worker in checks["link"]["detail"]
    assert bucket.list_keys() == []  # the probe is gone
    text = run("doctor")
    assert text.returncode == 0
    assert "✓ Link serves the upload: " in text.stdout
    assert (
        "✓ Bucket refuses unsigned reads: an unsigned GET of the bucket's own URL got HTTP 403"
        in text.stdout
    )


def test_doctor_names_a_wrong_key(chain: tuple[Bucket, str], run) -> None:
    done = run("doctor", "--json", env={SECRET_ENV: "wrong-secret"})
    assert done.returncode == 5
    found = statuses(done)
    assert found["credentials"] == "fail"
    assert {found[k] for k in ("bucket", "write", "link", "delete")} == {"skip"}
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert "refused the credentials of profile 'blog'" in checks["credentials"]["detail"]
    assert "check access_key_id, the secret" in checks["credentials"]["fix"]
    assert "wrong-secret" not in done.stdout + done.stderr


def test_doctor_when_url_prefix_points_elsewhere(
    chain: tuple[Bucket, str], tmp_path: Path, run
) -> None:
    bucket, _ = chain
    (tmp_path / "site").mkdir()
    with web_server(tmp_path / "site") as other:
        bucket.use(url_prefix=other)
        done = run("doctor")
    assert done.returncode == 6
    assert f"✗ Link serves the upload: {other}/.b2img-doctor/" in done.stdout
    assert "answered HTTP 404" in done.stdout
    assert "Fix: the Worker may read another bucket" in done.stdout
    assert "✓ Can delete" in done.stdout
    assert bucket.list_keys() == []


def test_doctor_when_the_worker_is_down(profile: Bucket, run) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    profile.use(url_prefix=down)
    done = run("doctor", "--json")
    assert done.returncode == 6
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["link"]["status"] == "fail"
    assert "cannot reach" in checks["link"]["detail"]
    assert "is the Worker deployed" in checks["link"]["fix"]
    assert profile.list_keys() == []


def test_doctor_without_cache_control(chain: tuple[Bucket, str], run) -> None:
    bucket, worker = chain
    bucket.use(url_prefix=worker, cache_control="")
    done = run("doctor", "--json")
    assert done.returncode == 6
    checks = {c["id"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["cache"]["status"] == "fail"
    assert "set cache_control in the profile" in checks["cache"]["fix"]


def test_doctor_without_a_config(run) -> None:
    done = run("doctor")
    assert done.returncode == 3
    assert "✗ Config is valid: no config file yet" in done.stdout
    assert "Fix: b2img init" in done.stdout


def test_doctor_on_smms_and_local(tmp_path: Path, run, monkeypatch: pytest.MonkeyPatch) -> None:
    static = tmp_path / "static"
    static.mkdir()
    with smmsserver.running() as smms:
        monkeypatch.setenv("TEST_SMMS_TOKEN", smms.token)
        pics = {"backend": "smms", "token": {"env": "TEST_SMMS_TOKEN"}, "api_base": smms.api()}
        site = {"backend": "local", "directory": str(static), "url_prefix": "/"}
        write_config({"pics": pics, "site": site})
        done = run("doctor", "--json", "-p", "pics")
        assert done.returncode == 0, done.stdout
        assert statuses(done) == {
            "config": "ok",
            "secret": "ok",
            "reach": "ok",
            "credentials": "ok",
            "write": "ok",
            "link": "ok",
            "delete": "ok",
            "clipboard": "skip",
        }
        assert len(smms.received) == 1 and smms.images == {} and len(smms.deleted) == 1
    done = run("doctor", "--json", "-p", "site")
    assert done.returncode == 0, done.stdout
    assert statuses(done) == {
        "config": "ok",
        "folder": "ok",
        "write": "ok",
        "link": "skip",  # site-relative links
        "delete": "ok",
        "clipboard": "skip",
    }
    assert list(static.iterdir()) == []


def test_clock_skew() -> None:
    now = datetime.now(UTC)
    assert _clock_check(format_datetime(now, usegmt=True)).status == "ok"
    late = _clock_check(format_datetime(now - timedelta(minutes=20), usegmt=True))
    assert late.status == "fail"
    assert "20 min ahead of the endpoint's" in late.detail
    assert _clock_check("").status == "skip"


def test_a_public_bucket_is_flagged() -> None:
    """moto cannot serve anonymous reads, so the wire is faked here: the bucket's own URL
    answering 200 to an unsigned GET is what a public B2 bucket does."""
    from urllib.parse import unquote, urlsplit

    from fakes import FakeStore, fake_profile

    from b2img.config import Config
    from b2img.doctor import Fetched, diagnose

    store = FakeStore()
    profile = fake_profile("{fullName}")
    now = {"date": format_datetime(datetime.now(UTC), usegmt=True)}

    def http(url: str) -> Fetched:
        path = urlsplit(url).path
        if path == "/":
            return Fetched(403, b"", now)
        data, _ = store.objects[unquote(path).lstrip("/")]
        return Fetched(200, data, {"cache-control": "max-age=60"})

    checks = {
        c.id: c
        for c in diagnose(
            None,
            load=lambda: Config(Path("c.toml"), "t", {"t": profile}),
            make_uploader=lambda _: store,
            clipboard=lambda: (None, "none"),
            http=http,
        )
    }
    assert checks["link"].status == "ok"
    private = checks["private"]
    assert private.status == "fail"
    assert "the bucket is public" in private.detail
    assert "make the bucket private" in private.fix
    assert store.objects == {}  # the probe was deleted all the same
