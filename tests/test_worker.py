"""The Worker under Miniflare, in front of moto's S3 server (SigV4 enforced) and a read-only key.

A recording proxy sits between the Worker and moto, so the tests also see what the bucket was
asked: the path, and that the request was signed with the read-only key.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import workerserver
from conftest import Bucket
from faultproxy import ProxyState, proxy
from helpers import png_bytes
from s3server import REGION

KEY = "2026/12/a+b 图.png"
KEY_PATH = "/2026/12/a%2Bb%20%E5%9B%BE.png"
IMAGE = png_bytes((40, 30))
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@dataclass
class Served:
    url: str
    bucket: Bucket
    upstream: ProxyState
    reader: str  # the read-only key's ID

    def get(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            return response.status, body, {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()


def worker_bindings(endpoint: str, bucket: str, key: tuple[str, str], **extra: str) -> dict:
    return {
        "B2_APPLICATION_KEY_ID": key[0],
        "B2_APPLICATION_KEY": key[1],
        "B2_ENDPOINT": endpoint,
        "BUCKET_NAME": bucket,
        "ALLOW_LIST_BUCKET": "false",
        "B2_REGION": REGION,
        **extra,
    }


@pytest.fixture
def private(bucket: Bucket) -> Bucket:
    client = bucket.server.client()
    cache = "public, max-age=5184000"
    client.put_object(
        Bucket=bucket.name, Key=KEY, Body=IMAGE, ContentType="image/png", CacheControl=cache
    )
    client.put_object(Bucket=bucket.name, Key="x.svg", Body=SVG, ContentType="image/svg+xml")
    return bucket


@pytest.fixture
def served(private: Bucket) -> Iterator[Served]:
    key = private.server.read_only_key(private.name)
    with (
        proxy(private.server.endpoint) as (endpoint, state),
        workerserver.running(worker_bindings(endpoint, private.name, key)) as url,
    ):
        yield Served(url, private, state, key[0])


def test_get_serves_the_exact_bytes_signed_with_the_read_only_key(served: Served) -> None:
    status, body, headers = served.get(KEY_PATH)
    assert (status, body) == (200, IMAGE)
    assert headers["content-type"] == "image/png"
    assert headers["cache-control"] == "public, max-age=5184000"
    assert headers["x-content-type-options"] == "nosniff"
    assert not [h for h in headers if h.startswith(("x-amz", "x-bz"))]
    ((method, path),) = served.upstream.requests
    assert (method, path) == ("GET", f"/{served.bucket.name}{KEY_PATH}")
    sent = served.upstream.headers[0]
    assert sent["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={served.reader}/")
    # A literal '+' in the visitor's URL is the same object as %2B.
    status, body, _ = served.get(KEY_PATH.replace("%2B", "+"))
    assert (status, body) == (200, IMAGE)


def test_head_is_signed_and_sent_as_get(served: Served) -> None:
    status, body, headers = served.get(KEY_PATH, method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-type"] == "image/png"
    assert served.upstream.requests == [("GET", f"/{served.bucket.name}{KEY_PATH}")]


def test_range_requests(served: Served) -> None:
    status, body, headers = served.get(KEY_PATH, headers={"Range": "bytes=0-9"})
    assert (status, body) == (206, IMAGE[:10])
    assert headers["content-range"] == f"bytes 0-9/{len(IMAGE)}"
    # An upstream that answers a Range request with the whole file is asked again.
    served.upstream.ignore_range = 1
    status, body, _ = served.get(KEY_PATH, headers={"Range": "bytes=10-19"})
    assert (status, body) == (206, IMAGE[10:20])
    assert len(served.upstream.requests) == 3


def test_only_get_and_head(served: Served) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, _, headers = served.get(KEY_PATH, method=method)
        assert status == 405
        assert headers["allow"] == "GET, HEAD"
    assert served.upstream.requests == []


def test_no_listing_and_missing_objects_are_plain_404s(served: Served) -> None:
    for path in ("/", "/?list-type=2", ""):
        status, body, _ = served.get(path or "/")
        assert (status, body) == (404, b"Not Found\n")
    assert served.upstream.requests == []
    status, body, headers = served.get("/2026/12/missing.png")
    assert (status, body) == (404, b"Not Found\n")
    assert headers["content-type"].startswith("text/plain")


def test_query_strings_never_reach_the_bucket(served: Served) -> None:
    status, body, _ = served.get(KEY_PATH + "?acl")
    assert (status, body) == (200, IMAGE)
    assert served.upstream.requests[-1][1] == f"/{served.bucket.name}{KEY_PATH}"


def test_conditional_get_is_sent_after_signing(served: Served) -> None:
    etag = served.get(KEY_PATH)[2]["etag"]
    status, body, _ = served.get(KEY_PATH, headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    sent = served.upstream.headers[-1]
    assert sent["if-none-match"] == etag
    signed = sent["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "if-none-match" not in signed.split(";")


def test_svg_is_sandboxed(served: Served) -> None:
    status, body, headers = served.get("/x.svg")
    assert (status, body) == (200, SVG)
    assert "sandbox" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]


def test_the_cache_answers_repeats(served: Served) -> None:
    assert served.get(KEY_PATH)[0] == 200
    status, body, headers = served.get(KEY_PATH)
    assert (status, body) == (200, IMAGE)
    assert headers.get("cf-cache-status") == "HIT"
    assert len(served.upstream.requests) == 1


def test_a_wrong_key_gets_an_error_not_the_object(private: Bucket) -> None:
    wrong = (private.server.access_key, "not-the-secret")
    bindings = worker_bindings(private.server.endpoint, private.name, wrong)
    with workerserver.running(bindings) as url:
        status, body, _ = Served(url, private, ProxyState(""), "").get(KEY_PATH)
    assert status == 502
    assert IMAGE not in body and b"<Error>" not in body


def test_bucket_from_the_path_or_the_host(private: Bucket) -> None:
    key = private.server.read_only_key(private.name)
    with workerserver.running(worker_bindings(private.server.endpoint, "$path", key)) as url:
        worker = Served(url, private, ProxyState(""), "")
        assert worker.get(f"/{private.name}{KEY_PATH}")[:2] == (200, IMAGE)
        assert worker.get(f"/{private.name}")[0] == 404
    with workerserver.running(worker_bindings(private.server.endpoint, "$host", key)) as url:
        worker = Served(url, private, ProxyState(""), "")
        host = {"Host": f"{private.name}.img.example.com"}
        assert worker.get(KEY_PATH, headers=host)[:2] == (200, IMAGE)


def test_listing_when_allowed(private: Bucket) -> None:
    admin = (private.server.access_key, private.server.secret_key)
    bindings = worker_bindings(
        private.server.endpoint, private.name, admin, ALLOW_LIST_BUCKET="true"
    )
    with workerserver.running(bindings) as url:
        status, body, _ = Served(url, private, ProxyState(""), "").get("/?list-type=2")
    assert status == 200
    assert b"<Key>x.svg</Key>" in body
