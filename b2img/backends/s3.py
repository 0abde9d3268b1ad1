"""Backblaze B2 (and any S3-compatible store) through botocore, the engine under boto3.

Every setting here answers a problem B2 users hit with generic S3 clients:

- explicit credentials and an isolated botocore session, so ``AWS_PROFILE`` or a stale
  ``~/.aws/config`` can neither break nor redirect an upload;
- ``request_checksum_calculation``/``response_checksum_validation`` = ``when_required``, because
  B2 rejects the CRC32 checksum headers newer botocore sends by default;
- no ``x-amz-acl`` unless the profile sets ``acl`` (B2 refuses ACLs it does not support);
- the region taken from ``s3.<region>.backblazeb2.com`` when the profile leaves it empty, since
  SigV4 signatures include it;
- botocore's ``standard`` retry mode, and bounded connect/read timeouts so an unreachable
  endpoint fails instead of hanging.
"""

from __future__ import annotations

import os
import re
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from b2img import __version__
from b2img.backends import s3wire
from b2img.backends.base import (
    ByteProgress,
    Payload,
    RemoteObject,
    StoredObject,
    network_timeout,
)
from b2img.backends.s3wire import Refused, S3Wire, addressable
from b2img.config import S3Settings
from b2img.errors import AuthError, B2ImgError, ConfigError, UploadError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SHA256_METADATA = "sha256"  # x-amz-meta-sha256 (a B2 file info): what overwrite checks compare
PART_SIZE = 8 * 1024 * 1024
PART_CONCURRENCY = 4
CONNECT_TIMEOUT = 5.0
MAX_ATTEMPTS = 5  # B2 answers 503 under load and expects clients to retry
LIST_PAGES = 2  # a batch lists a folder of up to 2000 keys rather than checking key by key

_REGION_IN_HOST = re.compile(
    r"^s3[.-](?P<region>[a-z0-9-]+)\.(?:backblazeb2\.com|amazonaws\.com)$", re.IGNORECASE
)
_HEADERS = {  # put_object's arguments and the headers they become
    "CacheControl": "Cache-Control",
    "ContentDisposition": "Content-Disposition",
    "ACL": "x-amz-acl",
}
_AUTH_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "Unauthorized",
    "InvalidSecurity",
}


def derive_region(endpoint: str, region: str = "") -> str:
    """The profile's region, else the one in a B2 (or AWS) endpoint host, else us-east-1."""
    if region:
        return region
    match = _REGION_IN_HOST.match(urlsplit(endpoint).hostname or "")
    return match.group("region").lower() if match else "us-east-1"


def _isolated_session() -> Any:
    """A botocore session that reads no AWS profile, config file or credentials file, and loads
    its models through b2img's cache."""
    import botocore.session

    session = botocore.session.Session(
        session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )
    from b2img.backends.modelcache import S3Loader

    session.register_component("data_loader", S3Loader())
    return session


class S3Uploader:
    """HEAD, PUT and folder listings go out as single signed requests (``s3wire``); botocore's
    client is created only for what needs it (multipart, delete, bucket checks), at most once."""

    def __init__(
        self, settings: S3Settings, *, secret: str, profile: str, max_connections: int = 10
    ) -> None:
        timeout = network_timeout()
        self._settings = settings
        self._profile = profile
        self._secret = secret
        self._region = derive_region(settings.endpoint, settings.region)
        self._timeouts = (min(CONNECT_TIMEOUT, timeout), timeout)
        self._max_connections = max(1, max_connections)
        self._lock = threading.Lock()
        self._made: S3Client | None = None
        self._wire: S3Wire | None = None
        if addressable(settings):
            self._wire = S3Wire(
                settings,
                secret=secret,
                region=self._region,
                connect_timeout=self._timeouts[0],
                read_timeout=self._timeouts[1],
                max_connections=self._max_connections,
                max_attempts=MAX_ATTEMPTS,
            )

    @property
    def _client(self) -> S3Client:
        with self._lock:
            if self._made is None:
                self._made = self._make_client()
            return self._made

    def _make_client(self) -> S3Client:
        from botocore.config import Config

        settings = self._settings
        config = Config(
            region_name=self._region,
            signature_version="s3v4",
            s3={"addressing_style": "path" if settings.path_style else "virtual"},
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
            connect_timeout=self._timeouts[0],
            read_timeout=self._timeouts[1],
            max_pool_connections=self._max_connections,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            user_agent_extra=f"b2img/{__version__}",
        )
        client: S3Client = _isolated_session().create_client(
            "s3",
            endpoint_url=settings.endpoint,
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=self._secret,
            config=config,
        )
        return client

    def head(self, key: str) -> RemoteObject | None:
        action = f"checking {key}"
        if self._wire is not None:
            try:
                found = self._wire.head(key)
            except Exception as exc:  # noqa: BLE001 - every failure is translated
                raise self._translate(exc, action=action) from None
            if found is None:
                return None
            return RemoteObject(
                key=key,
                size=int(found.headers.get("content-length", 0)),
                sha256=found.headers.get(f"x-amz-meta-{SHA256_METADATA}", ""),
                etag=found.headers.get("etag", "").strip('"'),
            )
        from botocore.exceptions import ClientError

        try:
            answer = self._client.head_object(Bucket=self._settings.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._translate(exc, action=action) from None
        except Exception as exc:  # noqa: BLE001 - every botocore failure is translated
            raise self._translate(exc, action=action) from None
        return RemoteObject(
            key=key,
            size=int(answer.get("ContentLength", 0)),
            sha256=answer.get("Metadata", {}).get(SHA256_METADATA, ""),
            etag=answer.get("ETag", "").strip('"'),
        )

    def list_folder(self, folder: str) -> set[str] | None:
        prefix = f"{folder}/" if folder else ""
        action = f"listing {prefix or '/'}"
        keys: set[str] = set()
        try:
            token = ""
            for _ in range(LIST_PAGES):
                page, token = self._list_page(prefix, token)
                keys.update(page)
                if not token:
                    return keys
        except Exception as exc:  # noqa: BLE001 - every failure is translated
            if _status(exc) in (401, 403):  # a key that may write but not list: HEAD each key
                return None
            raise self._translate(exc, action=action) from None
        return None  # a folder larger than LIST_PAGES pages: cheaper to look key by key

    def _list_page(self, prefix: str, token: str) -> tuple[list[str], str]:
        if self._wire is not None:
            return self._wire.list_page(prefix, token)
        more: dict[str, Any] = {"ContinuationToken": token} if token else {}
        answer = self._client.list_objects_v2(
            Bucket=self._settings.bucket,
            Prefix=prefix,
            Delimiter="/",
            MaxKeys=s3wire.LIST_PAGE_KEYS,
            **more,
        )
        keys = [str(item["Key"]) for item in answer.get("Contents", [])]
        if not answer.get("IsTruncated"):
            return keys, ""
        return keys, str(answer.get("NextContinuationToken", ""))

    def put(self, payload: Payload, *, progress: ByteProgress | None = None) -> StoredObject:
        extra: dict[str, Any] = {
            "ContentType": payload.content_type,
            "Metadata": {SHA256_METADATA: payload.sha256},
        }
        if self._settings.cache_control:
            extra["CacheControl"] = self._settings.cache_control
        if payload.content_disposition:
            extra["ContentDisposition"] = payload.content_disposition
        if self._settings.acl:
            extra["ACL"] = self._settings.acl
        action = f"uploading {payload.label}"
        try:
            if payload.data is not None:
                stored = self._put_small(payload, extra)
                if progress:
                    progress(payload.size)
                return stored
            return self._put_large(payload, extra, progress)
        except B2ImgError:
            raise
        except Exception as exc:  # noqa: BLE001 - every botocore failure is translated below
            raise self._translate(exc, action=action) from None

    def _put_small(self, payload: Payload, extra: dict[str, Any]) -> StoredObject:
        data = payload.data or b""
        if self._wire is not None:
            headers = {
                "Content-Type": extra["ContentType"],
                f"x-amz-meta-{SHA256_METADATA}": payload.sha256,
            }
            for name, header in _HEADERS.items():
                if name in extra:
                    headers[header] = extra[name]
            answer = self._wire.put(payload.key, data, headers, sha256=payload.sha256)
            etag = answer.headers.get("etag", "")
            version = answer.headers.get("x-amz-version-id", "")
        else:
            sent = self._client.put_object(
                Bucket=self._settings.bucket, Key=payload.key, Body=data, **extra
            )
            etag, version = sent.get("ETag", ""), sent.get("VersionId", "")
        return StoredObject(
            key=payload.key, size=payload.size, etag=etag.strip('"'), version_id=version
        )

    def _put_large(
        self, payload: Payload, extra: dict[str, Any], progress: ByteProgress | None
    ) -> StoredObject:
        """Multipart upload streamed from disk: memory stays bounded whatever the file size."""
        from s3transfer.manager import TransferConfig, TransferManager
        from s3transfer.subscribers import BaseSubscriber

        class Relay(BaseSubscriber):
            def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
                if progress:
                    progress(bytes_transferred)

        config = TransferConfig(
            multipart_threshold=PART_SIZE,
            multipart_chunksize=PART_SIZE,
            max_request_concurrency=PART_CONCURRENCY,
            max_in_memory_upload_chunks=PART_CONCURRENCY,
        )
        if payload.path is None:
            raise UploadError(f"{payload.label}: nothing to upload")
        with TransferManager(self._client, config) as manager:
            future = manager.upload(
                str(payload.path),
                self._settings.bucket,
                payload.key,
                extra_args=extra,
                subscribers=[Relay()],
            )
            future.result()
        return StoredObject(key=payload.key, size=payload.size)

    def delete(self, key: str, *, delete_token: str = "") -> int:
        bucket = self._settings.bucket
        action = f"deleting {key}"
        try:
            versions: list[str] = []
            paginator = self._client.get_paginator("list_object_versions")
            for page in paginator.paginate(Bucket=bucket, Prefix=key):
                for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    if entry.get("Key") == key:
                        versions.append(str(entry.get("VersionId", "null")))
            # One DELETE per version: B2 keeps every version, and DeleteObjects needs a
            # checksum header that not every S3-compatible store accepts.
            for version in versions:
                if version == "null":
                    self._client.delete_object(Bucket=bucket, Key=key)
                else:
                    self._client.delete_object(Bucket=bucket, Key=key, VersionId=version)
        except Exception as exc:  # noqa: BLE001 - translated below
            raise self._translate(exc, action=action) from None
        return len(versions)

    def check(self) -> None:
        try:
            self._client.head_bucket(Bucket=self._settings.bucket)
        except Exception as exc:  # noqa: BLE001 - translated below
            raise self._translate(exc, action="checking the bucket") from None

    def _translate(self, exc: Exception, *, action: str) -> B2ImgError:
        """A failed request as a user-facing error; never includes a credential."""
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, Refused):
            return self._refusal(exc.code, exc.answer.status, exc.message, action=action)
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return self._refusal(
                str(error.get("Code", "")), status, str(error.get("Message", "")), action=action
            )
        if isinstance(exc, BotoCoreError):
            return UploadError(
                f"cannot reach {self._settings.endpoint} while {action} ({type(exc).__name__})",
                hint="check the endpoint URL and your network connection",
            )
        return UploadError(f"{action} failed: {type(exc).__name__}")

    def _refusal(self, code: str, status: int, message: str, *, action: str) -> B2ImgError:
        """The store's error answer (an S3 error code, or only a status for a HEAD)."""
        s = self._settings
        show = f"b2img profile show {self._profile}"
        if code in _AUTH_CODES or status == 401:
            return AuthError(
                f"{s.endpoint} refused the credentials of profile '{self._profile}' "
                f"({code or status}) while {action}",
                hint=f"check access_key_id and the secret ({show})",
            )
        if code in ("NoSuchBucket",) or (code in ("404", "NotFound") and "bucket" in action):
            return ConfigError(
                f"bucket '{s.bucket}' does not exist at {s.endpoint}",
                hint=f"check the bucket name and endpoint ({show})",
            )
        if code == "403":  # a HEAD answer has no body to tell the two causes apart
            return AuthError(
                f"{s.endpoint} refused the credentials of profile '{self._profile}' or "
                f"denied them access to bucket '{s.bucket}' (HTTP 403) while {action}",
                hint=f"check access_key_id, the secret and the key's bucket access ({show})",
            )
        if code in ("AccessDenied", "Forbidden"):
            return AuthError(
                f"{s.endpoint} denied access to bucket '{s.bucket}' while {action}",
                hint="the key needs write access (B2: writeFiles) to this bucket; " + show,
            )
        return UploadError(f"{action} failed: {message or code or status} (HTTP {status})")


def _status(exc: Exception) -> int:
    """The HTTP status of a refused request (0 when it was not answered)."""
    if isinstance(exc, Refused):
        return exc.answer.status
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return 0
