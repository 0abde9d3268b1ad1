"""Single S3 requests without botocore's model-driven client.

Building botocore's S3 client (its service model, its endpoint rules, a generated class with a
method per operation, two hundred event handlers) takes longer than uploading a screenshot. An
upload needs three simple requests — HEAD, PUT and a folder listing — so those are signed here by
botocore's own SigV4 signer (``S3SigV4Auth``) and sent over botocore's own urllib3 session: the
same signature, TLS, proxy and timeout handling as the client, at a fraction of the start-up.
Retries follow botocore's ``standard`` mode. Multipart uploads, deletes and bucket checks still
go through the client (``S3Uploader`` creates it when one of those is first needed).

The client is still what a profile falls back to whenever this module could address a request
differently from it: an endpoint URL with a path, or virtual-host addressing of a bucket name
that is not a plain DNS label.
"""

from __future__ import annotations

import functools
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus, urlsplit

from b2img import __version__
from b2img.config import S3Settings

if TYPE_CHECKING:
    from botocore.auth import S3SigV4Auth

# botocore's standard retry mode: these answers are worth another attempt.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "InternalError",
        "PriorRequestNotComplete",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestTimeout",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)
LIST_PAGE_KEYS = 1000  # keys per listing page (S3's own maximum)
MAX_BACKOFF = 20.0  # seconds, as botocore's standard mode
EXPECT_CONTINUE_FROM = 1024 * 1024  # larger bodies wait for the store's go-ahead before sending

_DNS_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_IP_LIKE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Answer:
    """What the store answered: the status, the headers (lower-case names) and the body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> tuple[str, str]:
        """The S3 error code and message of a failed answer (a bare status for a HEAD)."""
        code = _element(self.body, "Code")
        return code or str(self.status), _element(self.body, "Message")


class Refused(Exception):
    """The store answered a request with an error (after any retries)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer
        self.code, self.message = answer.error()


def addressable(settings: S3Settings) -> bool:
    """Whether requests built here go where botocore's client would send them."""
    parts = urlsplit(settings.endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return False
    if settings.path_style:
        return True
    if _IP_LIKE.match(parts.hostname) or ":" in parts.hostname:  # no virtual hosts on an IP
        return False
    return bool(_DNS_LABEL.match(settings.bucket)) and not _IP_LIKE.match(settings.bucket)


class Credentials:
    """The three attributes botocore's signer reads; nothing else of botocore's credential
    machinery (providers, refreshing, the environment) is involved."""

    def __init__(self, access_key: str, secret_key: str) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token: str | None = None

    def __repr__(self) -> str:  # never show the secret, even in a debugger or a traceback
        return f"Credentials(access_key={self.access_key!r})"


class S3Wire:
    """Signed S3 requests for one bucket. Safe to use from several threads."""

    def __init__(
        self,
        settings: S3Settings,
        *,
        secret: str,
        region: str,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int,
        max_attempts: int,
    ) -> None:
        from botocore.httpsession import URLLib3Session
        from botocore.utils import get_environ_proxies

        self._signer = _signer_class()(
            Credentials(settings.access_key_id, secret),  # type: ignore[arg-type]  # duck-typed
            "s3",
            region,
        )
        self._session = URLLib3Session(
            proxies=get_environ_proxies(settings.endpoint),
            timeout=(connect_timeout, read_timeout),  # type: ignore[arg-type]  # a pair is allowed
            max_pool_connections=max_connections,
        )
        self._max_attempts = max(1, max_attempts)
        parts = urlsplit(settings.endpoint)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        bucket = quote(settings.bucket, safe="")
        if settings.path_style:
            self._base, self._root = f"{parts.scheme}://{netloc}", f"/{bucket}"
        else:
            self._base, self._root = f"{parts.scheme}://{bucket}.{netloc}", ""
        self._user_agent = f"b2img/{__version__}"

    def url(self, key: str, query: Mapping[str, str] | None = None) -> str:
        """The request URL of ``key`` (percent-encoded as botocore encodes keys)."""
        path = f"{self._root}/{quote(key, safe='/~')}"
        if query:
            path += "?" + "&".join(
                f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
                for name, value in sorted(query.items())
            )
        return self._base + path

    def send(
        self,
        method: str,
        key: str,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        body_sha256: str = "",
    ) -> Answer:
        """Send one request, retrying what botocore's standard mode retries; an error answer
        raises ``Refused``, a network failure botocore's ConnectionError or HTTPClientError.
        ``body_sha256``, the body's SHA-256 in hex if the caller has it, is signed as it is
        instead of hashing the body again."""
        from botocore.awsrequest import AWSRequest
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import HTTPClientError

        url = self.url(key, query)
        fields = {"User-Agent": self._user_agent, **(headers or {})}
        if body and len(body) >= EXPECT_CONTINUE_FROM:
            fields["Expect"] = "100-continue"
        attempt = 1
        while True:
            request = AWSRequest(method=method, url=url, data=body, headers=dict(fields))
            if body_sha256:
                request.context[_KNOWN_SHA256] = body_sha256
            self._signer.add_auth(request)
            try:
                response: Any = self._session.send(request.prepare())
            except (BotoConnectionError, HTTPClientError):
                if attempt >= self._max_attempts:
                    raise
            else:
                answer = Answer(
                    status=int(response.status_code),
                    headers={k.lower(): v for k, v in response.headers.items()},
                    body=b"" if method == "HEAD" else bytes(response.content),
                )
                if answer.ok:
                    return answer
                if attempt >= self._max_attempts or not _retryable(answer):
                    raise Refused(answer)
            _pause(attempt)
            attempt += 1

    def head(self, key: str) -> Answer | None:
        """The object's headers, or None when there is no such object."""
        try:
            return self.send("HEAD", key)
        except Refused as refused:
            if refused.answer.status == 404:
                return None
            raise

    def put(self, key: str, body: bytes, headers: Mapping[str, str], *, sha256: str = "") -> Answer:
        return self.send("PUT", key, headers=headers, body=body, body_sha256=sha256)

    def list_page(self, prefix: str, token: str = "") -> tuple[list[str], str]:
        """One page of ListObjectsV2 directly under ``prefix`` (delimiter "/"): its keys, and
        the token of the next page ("" when this was the last)."""
        query = {
            "list-type": "2",
            "prefix": prefix,
            "delimiter": "/",
            "encoding-type": "url",
            "max-keys": str(LIST_PAGE_KEYS),
        }
        if token:
            query["continuation-token"] = token
        answer = self.send("GET", "", query=query)
        from xml.etree import ElementTree

        root = ElementTree.fromstring(answer.body)  # noqa: S314 - the store's own XML answer
        space = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        encoded = (root.findtext(f"{space}EncodingType") or "") == "url"
        keys = []
        for item in root.iter(f"{space}Contents"):
            name = item.findtext(f"{space}Key") or ""
            keys.append(unquote_plus(name) if encoded else name)
        truncated = (root.findtext(f"{space}IsTruncated") or "").lower() == "true"
        following = root.findtext(f"{space}NextContinuationToken") or ""
        return keys, following if truncated else ""


_KNOWN_SHA256 = "b2img_body_sha256"  # request.context: the body's SHA-256, already computed


@functools.cache
def _signer_class() -> type[S3SigV4Auth]:
    """botocore's S3 signer, taking a body's SHA-256 from the request when it is given (the
    upload has just hashed the same bytes for its metadata) rather than hashing them twice."""
    from botocore.auth import S3SigV4Auth

    class Signer(S3SigV4Auth):
        def payload(self, request: Any) -> str:
            known = request.context.get(_KNOWN_SHA256)
            # botocore's own test of whether this request's body is signed at all
            if known and self._should_sha256_sign_payload(request):  # type: ignore[attr-defined]
                return str(known)
            return str(super().payload(request))

    return Signer


def _retryable(answer: Answer) -> bool:
    return answer.status in RETRY_STATUS or answer.error()[0] in RETRY_CODES


def _pause(attempt: int) -> None:
    """botocore's standard backoff: a random wait of up to 2**(attempt-1) seconds, at most 20."""
    time.sleep(random.random() * min(MAX_BACKOFF, 2.0 ** (attempt - 1)))  # noqa: S311 - jitter


def _element(body: bytes, name: str) -> str:
    """The text of the first <name> element of an S3 XML answer, without parsing all of it."""
    if not body:
        return ""
    match = re.search(rb"<" + name.encode() + rb">([^<]*)</" + name.encode() + rb">", body)
    if not match:
        return ""
    from html import unescape

    return unescape(match.group(1).decode("utf-8", "replace"))
