"""``b2img doctor``: the whole chain from the config to the image on the user's domain, checked.

Each check is yielded as soon as it is known, with what was found and, when it failed, what to
do. A check that cannot run because an earlier one failed is reported as skipped, never as
passed. The probe object lives under ``.b2img-doctor/`` and is deleted at the end.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urlsplit

from b2img import paths
from b2img.backends.base import (
    Payload,
    StoredObject,
    Uploader,
    network_reason,
    network_timeout,
)
from b2img.config import Config, LocalSettings, Profile, S3Settings, SmmsSettings
from b2img.errors import AuthError, B2ImgError, ConfigError, ExitCode
from b2img.links import object_url

PROBE_PREFIX = ".b2img-doctor/"
MAX_SKEW = 300  # seconds; SigV4 refuses requests more than 15 minutes off
READ_LIMIT = 1024 * 1024

Status = Literal["ok", "fail", "skip"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    status: Status
    detail: str = ""
    fix: str = ""
    exit_code: int = int(ExitCode.UPLOAD)  # what `doctor` exits with if this is the first failure


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    headers: dict[str, str]  # lower-cased names


def fetch(url: str) -> Fetched:
    """An unsigned GET, as a browser would make it; raises OSError when nothing answers."""
    request = urllib.request.Request(url, headers={"User-Agent": "b2img-doctor"})  # noqa: S310 - http(s) only, checked by callers
    try:
        with urllib.request.urlopen(request, timeout=network_timeout()) as response:  # noqa: S310
            body = response.read(READ_LIMIT)
            status, headers = response.status, response.headers
    except urllib.error.HTTPError as exc:
        body, status, headers = exc.read(READ_LIMIT), exc.code, exc.headers
    return Fetched(status, body, {k.lower(): v for k, v in headers.items()})


def probe_png() -> bytes:
    """A 1x1 PNG that no other run makes (a random pixel and a text chunk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixel = b"\x00" + secrets.token_bytes(3) + b"\xff"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00b2img doctor " + secrets.token_hex(8).encode())
        + chunk(b"IDAT", zlib.compress(pixel))
        + chunk(b"IEND", b"")
    )


# The checks of each backend, in order; those after a failure that ends the run are skipped.
PLAN = {
    "s3": (
        "config", "secret", "reach", "clock", "credentials", "bucket", "write", "link", "cache",
        "private", "delete", "clipboard",
    ),
    "smms": ("config", "secret", "reach", "credentials", "write", "link", "delete", "clipboard"),
    "local": ("config", "folder", "write", "link", "delete", "clipboard"),
}  # fmt: skip
TITLES = {
    "config": "Config is valid",
    "secret": "Secret resolves",
    "reach": "Endpoint answers",
    "clock": "Clock is right",
    "credentials": "Credentials accepted",
    "bucket": "Bucket exists",
    "folder": "Folder is writable",
    "write": "Can upload",
    "link": "Link serves the upload",
    "cache": "Cache-Control arrives",
    "private": "Bucket refuses unsigned reads",
    "delete": "Can delete",
    "clipboard": "Clipboard tools",
}


def diagnose(
    profile_name: str | None,
    *,
    load: Callable[[], Config],
    make_uploader: Callable[[Profile], Uploader],
    clipboard: Callable[[], tuple[bool | None, str]],
    http: Callable[[str], Fetched] = fetch,
) -> Iterator[Check]:
    """Run every check for the profile; yields them in order, each as soon as it is known."""
    try:
        config = load()
        profile = config.profile(profile_name)
    except B2ImgError as exc:
        yield _fail("config", exc)
        yield _clipboard_check(clipboard)
        return
    done: list[str] = []
    doctor = _Doctor(profile, make_uploader, http)
    steps = doctor.run(config)
    try:
        for check in steps:
            done.append(check.id)
            yield check
    except _Stop:
        for name in PLAN[profile.backend]:
            if name not in done and name != "clipboard":
                yield Check(name, TITLES[name], "skip", "an earlier check failed")
    yield _clipboard_check(clipboard)


def _fail(name: str, exc: B2ImgError, fix: str = "") -> Check:
    return Check(name, TITLES[name], "fail", str(exc), fix or exc.hint or "", int(exc.exit_code))


def _ok(name: str, detail: str) -> Check:
    return Check(name, TITLES[name], "ok", detail)


class _Stop(Exception):
    """Ends the run after a failure that no later check can get past."""


class _Doctor:
    def __init__(
        self,
        profile: Profile,
        make_uploader: Callable[[Profile], Uploader],
        http: Callable[[str], Fetched],
    ) -> None:
        self.profile = profile
        self.make_uploader = make_uploader
        self.http = http
        self.show = f"b2img profile show {profile.name}"

    def run(self, config: Config) -> Iterator[Check]:
        profile = self.profile
        store = profile.store
        yield _ok(
            "config",
            f"profile '{profile.name}' ({profile.backend}) in {paths.display(config.path)}",
        )
        yield from self._secrets()
        if isinstance(store, S3Settings):
            yield from self._reach(store.endpoint, clock=True)
        elif isinstance(store, SmmsSettings):
            yield from self._reach(store.api_base, clock=False)
        uploader = yield from self._access()
        data = probe_png()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        check, stored = self._write(
            uploader, f"{PROBE_PREFIX}{stamp}-{secrets.token_hex(4)}.png", data
        )
        yield check
        if stored is None:
            raise _Stop
        check, served = self._link(stored, data)
        yield check
        if isinstance(store, S3Settings):
            yield self._cache(served)
            yield self._private(store, stored)
        yield self._delete(uploader, stored)

    def _secrets(self) -> Iterator[Check]:
        described = []
        for field, secret in self.profile.secrets():
            try:
                secret.resolve(field=field, profile=self.profile.name)
            except B2ImgError as exc:
                yield _fail("secret", exc)
                raise _Stop from None
            described.append(f"{field} from {secret.describe()}")
        if described:
            yield _ok("secret", "; ".join(described))

    def _reach(self, url: str, *, clock: bool) -> Iterator[Check]:
        parts = urlsplit(url)
        try:
            answer = self.http(f"{parts.scheme}://{parts.netloc}/")
        except OSError as exc:
            yield Check(
                "reach",
                TITLES["reach"],
                "fail",
                f"cannot reach {parts.netloc} ({network_reason(exc)})",
                f"check the endpoint URL ({self.show}) and your network connection",
            )
            raise _Stop from None
        yield _ok("reach", f"{parts.netloc} answered HTTP {answer.status}")
        if clock:
            yield _clock_check(answer.headers.get("date", ""))

    def _access(self) -> Generator[Check, None, Uploader]:
        store = self.profile.store
        name = "folder" if isinstance(store, LocalSettings) else "credentials"
        try:
            uploader = self.make_uploader(self.profile)
            uploader.check()
        except ConfigError as exc:
            if not isinstance(store, S3Settings):
                yield _fail(name, exc)
                raise _Stop from None
            # HEAD on a missing bucket: the key itself was accepted.
            yield _ok("credentials", f"key {store.access_key_id} was accepted")
            yield _fail("bucket", exc)
            raise _Stop from None
        except B2ImgError as exc:
            yield _fail(name, exc)
            raise _Stop from None
        if isinstance(store, S3Settings):
            yield _ok("credentials", f"key {store.access_key_id} was accepted")
            yield _ok("bucket", f"bucket '{store.bucket}' at {store.endpoint}")
        elif isinstance(store, SmmsSettings):
            yield _ok("credentials", f"{store.host} accepted the token")
        else:
            yield _ok("folder", paths.display(store.root()))
        return uploader

    def _write(
        self, uploader: Uploader, key: str, data: bytes
    ) -> tuple[Check, StoredObject | None]:
        payload = Payload(
            key=key,
            label="the probe",
            content_type="image/png",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
        try:
            stored = uploader.put(payload)
        except B2ImgError as exc:
            fix = ""
            if isinstance(exc, AuthError) and isinstance(self.profile.store, S3Settings):
                fix = "give the key write access to the bucket (B2: writeFiles)"
            return _fail("write", exc, fix), None
        return _ok("write", f"stored a {len(data)}-byte probe at {stored.key}"), stored

    def _link(self, stored: StoredObject, data: bytes) -> tuple[Check, Fetched | None]:
        url = stored.url or self.profile.object_url(stored.key)
        title = TITLES["link"]
        if not url.startswith(("http://", "https://")):
            return Check(
                "link", title, "skip", f"links are site-relative ({url}): not fetched"
            ), None
        try:
            answer = self.http(url)
        except OSError as exc:
            detail = f"cannot reach {url} ({network_reason(exc)})"
            return Check("link", title, "fail", detail, self._link_fix(0)), None
        if answer.status != 200:
            detail = f"{url} answered HTTP {answer.status}"
            return Check("link", title, "fail", detail, self._link_fix(answer.status)), None
        if answer.body != data:
            detail = f"{url} serves other content than was uploaded"
            fix = f"url_prefix may point at another site or bucket ({self.show})"
            return Check("link", title, "fail", detail, fix), None
        return _ok("link", f"{url} returned the same bytes"), answer

    def _link_fix(self, status: int) -> str:
        prefix = self.profile.url_prefix
        if isinstance(self.profile.store, SmmsSettings):
            return "the service's link does not answer: try again later"
        if not prefix:
            return (
                "the bucket is not public: serve it through a Worker (b2img worker init) "
                "and set url_prefix"
            )
        if status == 0:
            host = urlsplit(prefix).netloc
            return f"is the Worker deployed, and {host} routed to it? (b2img worker init)"
        if status == 404:
            return (
                "the Worker may read another bucket (BUCKET_NAME, B2_ENDPOINT in wrangler.toml), "
                f"or url_prefix may point elsewhere ({self.show})"
            )
        if status in (401, 403, 502):
            return (
                "the Worker's key is refused: set B2_APPLICATION_KEY_ID and B2_APPLICATION_KEY "
                "(npx wrangler secret put …) to a read-only key for this bucket"
            )
        return f"check what serves {prefix}"

    def _cache(self, served: Fetched | None) -> Check:
        title = TITLES["cache"]
        if served is None:
            return Check("cache", title, "skip", "the link did not serve the upload")
        value = served.headers.get("cache-control", "")
        if value:
            return _ok("cache", value)
        return Check(
            "cache",
            title,
            "fail",
            "the link's answer has no Cache-Control header, so Cloudflare caches little",
            "set cache_control in the profile (b2img stores it with each upload), or the "
            'bucket\'s info {"Cache-Control": "public, max-age=31536000"}',
        )

    def _private(self, store: S3Settings, stored: StoredObject) -> Check:
        title = TITLES["private"]
        if not self.profile.url_prefix:
            return Check(
                "private", title, "skip", "no url_prefix: links point at the bucket itself"
            )
        direct = object_url(
            key=stored.key,
            url_prefix="",
            endpoint=store.endpoint,
            bucket=store.bucket,
            path_style=store.path_style,
        )
        try:
            answer = self.http(direct)
        except OSError as exc:
            return Check("private", title, "fail", f"cannot reach {direct} ({network_reason(exc)})")
        if answer.status == 200:
            return Check(
                "private",
                title,
                "fail",
                f"{direct} is served to anyone: the bucket is public, so your domain and its "
                "cache can be bypassed",
                "make the bucket private (B2: Bucket Settings, Files in Bucket are: Private); "
                "the Worker reads it with its key",
            )
        return _ok("private", f"an unsigned GET of the bucket's own URL got HTTP {answer.status}")

    def _delete(self, uploader: Uploader, stored: StoredObject) -> Check:
        try:
            removed = uploader.delete(stored.key, delete_token=stored.delete_token)
        except B2ImgError as exc:
            fix = f"remove {stored.key} by hand"
            if isinstance(exc, AuthError):
                fix = "give the key delete access (B2: deleteFiles); " + fix
            return _fail("delete", exc, fix)
        return _ok("delete", f"removed the probe ({removed} version(s))")


def _clock_check(date: str) -> Check:
    title = TITLES["clock"]
    try:
        server = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return Check("clock", title, "skip", "the endpoint sent no Date header")
    skew = (datetime.now(UTC) - server).total_seconds()
    if abs(skew) <= MAX_SKEW:
        return Check("clock", title, "ok", f"{abs(skew):.0f} s from the endpoint's clock")
    direction = "ahead of" if skew > 0 else "behind"
    return Check(
        "clock",
        title,
        "fail",
        f"this machine's clock is {abs(skew) / 60:.0f} min {direction} the endpoint's; signed "
        "requests are refused past 15 min",
        "turn on time synchronisation (e.g. timedatectl set-ntp true)",
    )


def _clipboard_check(probe: Callable[[], tuple[bool | None, str]]) -> Check:
    ready, detail = probe()
    title = TITLES["clipboard"]
    if ready is None:
        return Check("clipboard", title, "skip", detail)
    if ready:
        return Check("clipboard", title, "ok", detail)
    return Check(
        "clipboard", title, "fail", detail, "install wl-clipboard (Wayland) or xclip (X11)", 4
    )
