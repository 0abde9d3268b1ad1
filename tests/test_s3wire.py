"""HEAD, PUT and listings as single signed requests: what they address, sign and decode, and that
the model-driven botocore client is only built when an operation needs it — once."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from conftest import SECRET_ENV, Bucket
from helpers import month, probe_cli, write_png

from b2img.backends.base import Payload
from b2img.backends.s3 import PART_SIZE, S3Uploader, _isolated_session
from b2img.backends.s3wire import Credentials, S3Wire, addressable
from b2img.config import S3Settings
from b2img.credentials import SecretRef

KEYS = ["2026/12/a b+c~d.png", "图片/截图 1.png", "x/100%.png", "n/a=b&c;d,e.png", "top.png"]


def settings(**changes: Any) -> S3Settings:
    values: dict[str, Any] = {
        "endpoint": "https://s3.us-west-004.backblazeb2.com",
        "region": "",
        "bucket": "my-bucket",
        "access_key_id": "004a0001",
        "secret_access_key": SecretRef("literal", "not-a-real-secret"),
        "path_style": False,
    }
    values.update(changes)
    return S3Settings(**values)


class Sent(Exception):
    """Raised by the event hook below: the request botocore was about to send."""

    def __init__(self, request: Any) -> None:
        super().__init__(request.url)
        self.request = request


def botocore_url(store: S3Settings, key: str) -> str:
    """The URL botocore's client would PUT ``key`` to (captured just before sending)."""
    from botocore.config import Config

    client = _isolated_session().create_client(
        "s3",
        endpoint_url=store.endpoint,
        aws_access_key_id=store.access_key_id,
        aws_secret_access_key="not-a-real-secret",
        config=Config(
            region_name="us-west-004",
            s3={"addressing_style": "path" if store.path_style else "virtual"},
            request_checksum_calculation="when_required",
        ),
    )

    def capture(request: Any, **kwargs: Any) -> None:
        raise Sent(request)

    client.meta.events.register("before-send.s3.PutObject", capture)
    with pytest.raises(Sent) as sent:
        client.put_object(Bucket=store.bucket, Key=key, Body=b"x")
    return str(sent.value.request.url)


def on_moto(bucket: Bucket) -> S3Settings:
    """Settings for the test server's bucket (path style, as moto on 127.0.0.1 needs)."""
    return settings(
        endpoint=bucket.server.endpoint,
        bucket=bucket.name,
        region="us-west-004",
        access_key_id=bucket.server.access_key,
        path_style=True,
    )


def wire(store: S3Settings) -> S3Wire:
    return S3Wire(
        store,
        secret="not-a-real-secret",
        region="us-west-004",
        connect_timeout=1,
        read_timeout=1,
        max_connections=1,
        max_attempts=1,
    )


@pytest.mark.parametrize(
    "store",
    [
        settings(),
        settings(path_style=True),
        settings(endpoint="http://127.0.0.1:9000", path_style=True, bucket="Odd.Name_1"),
        settings(endpoint="https://s3.eu-central-003.backblazeb2.com:443/"),
    ],
    ids=["virtual", "path", "path-ip-odd-bucket", "port-and-slash"],
)
@pytest.mark.parametrize("key", KEYS)
def test_requests_go_where_botocore_would_send_them(store: S3Settings, key: str) -> None:
    assert addressable(store)
    assert wire(store).url(key) == botocore_url(store, key)


@pytest.mark.parametrize(
    "store",
    [
        settings(endpoint="https://example.com/s3"),  # a path: botocore prefixes it
        settings(endpoint="http://127.0.0.1:9000"),  # virtual hosts on an IP address
        settings(bucket="dotted.bucket.name"),  # not a plain DNS label
        settings(bucket="Upper"),
        settings(endpoint="ftp://example.com"),
    ],
)
def test_anything_else_is_left_to_the_client(store: S3Settings) -> None:
    assert not addressable(store)


def test_credentials_never_show_the_secret() -> None:
    assert "s3cr3t" not in repr(Credentials("AKID", "s3cr3t"))
    assert "AKID" in repr(Credentials("AKID", "s3cr3t"))


def test_listing_decodes_keys_and_stays_in_the_folder(bucket: Bucket) -> None:
    client = bucket.server.client()
    names = ["f/a b.png", "f/c+d.png", "f/图.png", "f/100%.png", "f/sub/deeper.png", "g/x.png"]
    for name in names:
        client.put_object(Bucket=bucket.name, Key=name, Body=b"x")
    store = on_moto(bucket)
    uploader = S3Uploader(store, secret=bucket.server.secret_key, profile="blog")
    assert uploader.list_folder("f") == {"f/a b.png", "f/c+d.png", "f/图.png", "f/100%.png"}
    assert uploader.list_folder("") == set()
    assert uploader.list_folder("empty") == set()


def test_a_refused_signature_is_an_auth_error_naming_no_secret(bucket: Bucket) -> None:
    from b2img.errors import AuthError

    store = on_moto(bucket)
    uploader = S3Uploader(store, secret="wrong-secret-value", profile="blog")
    payload = Payload(
        key="k.png", label="k.png", content_type="image/png", size=1, sha256="0", data=b"x"
    )
    with pytest.raises(AuthError) as refused:
        uploader.put(payload)
    assert "SignatureDoesNotMatch" in str(refused.value)
    assert "wrong-secret-value" not in str(refused.value) + (refused.value.hint or "")
    assert bucket.list_keys() == []


def test_a_small_upload_builds_no_client(profile: Bucket, tmp_path: Path) -> None:
    images = [write_png(tmp_path / f"{i}.png", color=(i, 2, 3, 4)) for i in range(4)]
    args = ["upload", "--no-copy", "-f", "url", *map(str, images)]
    done, loaded = probe_cli(args, watched=["botocore.client"])
    assert done.returncode == 0, done.stderr
    assert loaded == ""  # no client was built
    for image in images:
        assert profile.get(f"{month()}/{image.name}")["Data"] == image.read_bytes()


def test_a_large_upload_and_a_delete_build_one_client(
    bucket: Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import botocore.session

    made: list[str] = []
    create = botocore.session.Session.create_client

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(args[0] if args else kwargs["service_name"])
        return create(self, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    monkeypatch.setenv(SECRET_ENV, bucket.server.secret_key)
    store = on_moto(bucket)
    uploader = S3Uploader(store, secret=bucket.server.secret_key, profile="blog")
    big = tmp_path / "big.bin"
    data = bytes(range(256)) * (PART_SIZE // 256 + 4096)  # a little over one part
    big.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    for key in ("one.bin", "two.bin"):
        uploader.put(
            Payload(
                key=key,
                label=key,
                content_type="application/octet-stream",
                size=len(data),
                sha256=digest,
                path=big,
            )
        )
    assert uploader.head("one.bin") is not None
    assert uploader.delete("one.bin") == 1
    assert made == ["s3"]
    assert bucket.get("two.bin")["Data"] == data
    assert bucket.list_keys() == ["two.bin"]


@pytest.fixture(params=["wire", "client"])
def make(request: pytest.FixtureRequest, bucket: Bucket) -> Any:
    """Uploaders for the test bucket that send single requests themselves ("wire") or go
    through botocore's client ("client", what profiles the wire cannot address use)."""

    def made(secret: str = bucket.server.secret_key, **changes: Any) -> S3Uploader:
        store = settings(**{**on_moto(bucket).__dict__, **changes})
        uploader = S3Uploader(store, secret=secret, profile="blog")
        if request.param == "client":
            uploader._wire = None
        return uploader

    return made


@pytest.fixture
def uploader(make: Any) -> S3Uploader:
    return make()  # type: ignore[no-any-return]


def small(key: str, data: bytes, **extra: Any) -> Payload:
    digest = hashlib.sha256(data).hexdigest()
    return Payload(
        key=key, label=key, content_type="image/png", size=len(data), sha256=digest, data=data,
        **extra,
    )  # fmt: skip


def test_both_paths_store_and_report_the_same(
    uploader: S3Uploader, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    from b2img.backends import s3wire

    data = bytes(range(256)) * 6000  # over a megabyte: the wire waits for 100 Continue
    stored = uploader.put(small("p/a b+c.png", data, content_disposition="attachment"))
    got = bucket.get("p/a b+c.png")
    assert got["Data"] == data
    assert (got["ContentType"], got["ContentDisposition"]) == ("image/png", "attachment")
    assert got["CacheControl"] == "public, max-age=31536000, immutable"
    assert got["Metadata"] == {"sha256": hashlib.sha256(data).hexdigest()}
    assert stored.etag == got["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    found = uploader.head("p/a b+c.png")
    assert found is not None
    assert (found.size, found.sha256, found.etag) == (
        len(data),
        got["Metadata"]["sha256"],
        stored.etag,
    )
    assert uploader.head("p/missing.png") is None
    for index in range(5):
        uploader.put(small(f"p/{index}.png", b"%d" % index))
    monkeypatch.setattr(s3wire, "LIST_PAGE_KEYS", 2)  # three pages: more than LIST_PAGES
    assert uploader.list_folder("p") is None  # too large a folder: check key by key
    monkeypatch.setattr(s3wire, "LIST_PAGE_KEYS", 4)  # two pages
    assert uploader.list_folder("p") == {"p/a b+c.png", *(f"p/{i}.png" for i in range(5))}


def test_both_paths_translate_refusals_alike(make: Any, bucket: Bucket) -> None:
    from b2img.errors import AuthError, ConfigError

    elsewhere = make(bucket="no-such-bucket-here")
    with pytest.raises(ConfigError, match="bucket 'no-such-bucket-here' does not exist"):
        elsewhere.put(small("k.png", b"x"))
    refused = make(secret="wrong-secret-value")
    with pytest.raises(AuthError) as head:
        refused.head("k.png")
    assert "(HTTP 403)" in str(head.value) and "wrong-secret-value" not in str(head.value)
    with pytest.raises(AuthError, match="SignatureDoesNotMatch"):
        refused.put(small("k.png", b"x"))
    assert bucket.list_keys() == []


def test_the_signed_body_hash_is_that_of_the_bytes_stored(
    profile: Bucket, run: Any, tmp_path: Path
) -> None:
    """The PUT signs the SHA-256 the upload computed for its metadata instead of hashing the
    body again; moto never compares it with the body (B2 and S3 refuse a mismatch), so this
    checks it on the wire, for an image whose bytes the pipeline changed."""
    from faultproxy import proxy
    from images import png_with_metadata

    image = tmp_path / "meta.png"
    image.write_bytes(png_with_metadata())
    with proxy(profile.server.endpoint) as (endpoint, state):
        profile.use(endpoint=endpoint)
        done = run("upload", "--no-copy", "-f", "{key}", str(image))
    assert done.returncode == 0, done.stderr
    stored = profile.get(done.stdout.strip())["Data"]
    assert stored != image.read_bytes()  # metadata removed: not the file's own hash
    signed = [
        h["x-amz-content-sha256"]
        for (m, _), h in zip(state.requests, state.headers, strict=True)
        if m == "PUT"
    ]
    assert signed == [hashlib.sha256(stored).hexdigest()]
