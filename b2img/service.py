"""Use cases: take sources and collaborators, return outcomes. Never prints, never exits."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from b2img.backends.base import Payload, RemoteObject, Uploader
from b2img.config import ON_CONFLICT, Profile
from b2img.errors import AuthError, B2ImgError, ConfigError, InputError, UploadError
from b2img.history import History, Record
from b2img.ledger import LIST_FROM, KeyLedger
from b2img.links import LinkFormat
from b2img.mediatype import SVG
from b2img.outcomes import Failed, Outcome, Uploaded
from b2img.pipeline import ImageOptions
from b2img.sources import Clock, Source, local_now, processed, read_source

__all__ = ["ON_CONFLICT", "Deleted", "Failed", "Outcome", "Pending", "UploadPlan", "Uploaded"]
# Called with (input label, bytes sent since the last call, the input's total size).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class UploadPlan:
    profile: Profile
    link_format: LinkFormat
    on_conflict: str = "rename"
    force: bool = False  # look in the store even when the history knows the content
    image: ImageOptions = field(default_factory=ImageOptions)
    clock: Clock = local_now


@dataclass(frozen=True)
class Pending:
    """One input to upload: its label for messages, and how to read it."""

    label: str
    load: Callable[[], Source]

    @classmethod
    def from_path(cls, path: Path, *, allow_svg: bool = False, any_file: bool = False) -> Pending:
        return cls(str(path), lambda: read_source(path, allow_svg=allow_svg, any_file=any_file))

    @classmethod
    def from_source(cls, source: Source) -> Pending:
        return cls(source.label, lambda: source)


class LazyUploader:
    """Makes the uploader on first use, so answers from the history cost no client set-up."""

    def __init__(self, factory: Callable[[], Uploader]) -> None:
        self._factory = factory
        self._made: Uploader | None = None
        self._lock = threading.Lock()

    def get(self) -> Uploader:
        with self._lock:
            if self._made is None:
                self._made = self._factory()
            return self._made


def upload_files(
    paths: Sequence[Path],
    plan: UploadPlan,
    *,
    uploader: Callable[[], Uploader] | None,
    history: History | None = None,
    jobs: int = 8,
) -> Iterator[Outcome]:
    """Upload each path; see upload_pending."""
    items = [Pending.from_path(p) for p in paths]
    return upload_pending(items, plan, uploader=uploader, history=history, jobs=jobs)


def upload_pending(
    items: Sequence[Pending],
    plan: UploadPlan,
    *,
    uploader: Callable[[], Uploader] | None,
    history: History | None = None,
    jobs: int = 8,
    progress: Progress | None = None,
) -> Iterator[Outcome]:
    """Upload each item; yield one outcome per item, in input order, as soon as it is known.

    ``uploader`` makes the backend (called at most once, when first needed); None means a dry
    run: nothing is sent. Content the history knows for this profile is answered from it.
    After a failure no later upload can get past (refused credentials, a missing bucket), the
    uploads not yet started fail with the same error instead of repeating the request.
    """
    batch = _Batch(
        lazy=LazyUploader(uploader) if uploader else None,
        history=history,
        progress=progress,
        ledger=KeyLedger(use_listing=len(items) >= LIST_FROM),
    )

    def one(item: Pending) -> Outcome:
        try:
            return _upload_one(item, plan, batch)
        except B2ImgError as exc:
            return Failed(item.label, exc)

    workers = max(1, min(jobs, len(items)))
    if workers == 1:
        for item in items:
            yield one(item)
        return
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="b2img-upload")
    try:
        futures: list[Future[Outcome]] = [pool.submit(one, item) for item in items]
        for future in futures:
            yield future.result()
    finally:
        # On Ctrl-C (or a consumer that stops early) drop what has not started.
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class _Batch:
    """What the uploads of one batch share."""

    lazy: LazyUploader | None
    history: History | None
    progress: Progress | None
    ledger: KeyLedger
    fatal: list[B2ImgError] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _upload_one(item: Pending, plan: UploadPlan, batch: _Batch) -> Outcome:
    profile = plan.profile
    history, lazy = batch.history, batch.lazy
    source = processed(item.load(), plan.image)
    source.digests.prime("sha256")  # MD5 only if a conflict check needs it
    if history is not None and not plan.force:
        known = history.find_content(
            profile=profile.name, bucket=profile.destination, sha256=source.sha256
        )
        if known is not None:
            # A store that chose the link itself (SM.MS) is the only source of that link.
            url = known.url if profile.assigns_keys else None
            return _uploaded(
                plan, source, known.key, url=url, reused="history", dry_run=lazy is None
            )
    if profile.assigns_keys:
        key = source.name  # only a name to suggest: the store decides where it lands
    else:
        key = profile.upload_path.render_key(
            name=source.name, digest=source.digests.digest, when=plan.clock()
        )
    if lazy is None:
        return _uploaded(plan, source, key, url=_unknown_url(profile), dry_run=True)
    with batch.lock:
        if batch.fatal:
            raise batch.fatal[0]
    claimed = ""
    sent_ok = False
    try:
        backend = lazy.get()
        if profile.assigns_keys:
            final_key, existing = key, None
        else:
            final_key, existing = _resolve_conflict(
                backend, key, source, plan.on_conflict, batch.ledger
            )
            claimed = final_key if existing is None else ""
        version = delete_token = url = ""
        if existing is None:
            sent = _byte_relay(batch.progress, source) if batch.progress else None
            payload = _payload(final_key, source, replace=plan.on_conflict == "overwrite")
            stored = backend.put(payload, progress=sent)
            version, delete_token, url = stored.version_id, stored.delete_token, stored.url
            final_key = stored.key if profile.assigns_keys else final_key
        sent_ok = True
    except (AuthError, ConfigError) as exc:
        with batch.lock:
            batch.fatal.append(exc)
        raise
    finally:
        if claimed:  # stored, or given back when the upload failed
            batch.ledger.release(claimed, stored=sent_ok)
    outcome = _uploaded(
        plan,
        source,
        final_key,
        url=url or None,
        reused="store" if existing else "",
        version_id=version,
        renamed_from=key if final_key != key and not profile.assigns_keys else "",
    )
    if history is not None:
        history.add(
            Record(
                profile=profile.name,
                backend=profile.backend,
                bucket=profile.destination,
                key=final_key,
                url=outcome.url,
                size=source.size,
                sha256=source.sha256,
                content_type=source.media.mime,
                version_id=version,
                source=source.label,
                delete_token=delete_token,
            )
        )
    return outcome


def _unknown_url(profile: Profile) -> str | None:
    """A dry run's link where only the upload can tell it (SM.MS), else None (computed)."""
    return f"({profile.describe_destination()} chooses the link)" if profile.assigns_keys else None


def _byte_relay(progress: Progress, source: Source) -> Callable[[int], None]:
    return lambda sent: progress(source.label, sent, source.size)


def _payload(key: str, source: Source, *, replace: bool = False) -> Payload:
    return Payload(
        key=key,
        label=source.label,
        content_type=source.media.mime,
        size=source.size,
        sha256=source.sha256,
        data=source.data,
        path=source.path,
        # An SVG can carry script: opened directly, it downloads instead of running.
        content_disposition="attachment" if source.media == SVG else "",
        replace=replace,
    )


def _uploaded(
    plan: UploadPlan, source: Source, key: str, *, url: str | None = None, **extra: str | bool
) -> Uploaded:
    url, link = describe_link(plan, source, key, url=url)
    return Uploaded(
        source=source.label,
        key=key,
        url=url,
        link=link,
        size=source.size,
        content_type=source.media.mime,
        original_size=source.original_size,
        removed=source.removed,
        notes=source.notes,
        **extra,  # type: ignore[arg-type]
    )


def describe_link(
    plan: UploadPlan, source: Source, key: str, *, url: str | None = None
) -> tuple[str, str]:
    """The URL of ``key`` (or ``url``, where the store chose it) and its link text."""
    url = url if url is not None else plan.profile.object_url(key)
    width = height = None
    if plan.link_format.needs_size:
        from b2img.imaging import dimensions

        size = dimensions(source.head(64 * 1024))
        if size:
            width, height = size
    stem = os.path.splitext(source.name)[0]  # noqa: PTH122 - same split as {fileName}
    link = plan.link_format.render(url=url, name=stem, key=key, width=width, height=height)
    return url, link


# ---- overwrite protection -----------------------------------------------------------------------


def same_content(remote: RemoteObject, source: Source) -> bool:
    """Whether ``remote`` holds ``source``'s bytes: by b2img's SHA-256 metadata, or, for objects
    other tools stored, by size and a plain MD5 ETag."""
    if remote.sha256:
        return remote.sha256 == source.sha256
    if remote.size != source.size or "-" in remote.etag:
        return False
    return remote.etag.lower() == source.digests.hexdigest("md5")


def _resolve_conflict(
    backend: Uploader, key: str, source: Source, policy: str, ledger: KeyLedger
) -> tuple[str, RemoteObject | None]:
    """The key to store ``source`` under, and the object already holding it there, if any.

    A free key is claimed in ``ledger`` before this returns (the caller releases it). B2 has no
    conditional PUT, so the store is asked first (a HEAD, or a batch's folder listing); a writer
    from elsewhere racing between the two can still win, which the policy cannot prevent.
    """
    if policy == "overwrite":
        remote = ledger.lookup(backend, key)
        if remote is not None and same_content(remote, source):
            return key, remote
        # Claimed all the same, so two inputs of the batch never write the key at once.
        while not ledger.claim(key, sha256=source.sha256, size=source.size, over_stored=True):
            ledger.lookup(backend, key)  # wait for the other upload, then write over it
        return key, None
    candidates = [key, *(hashed_key(key, source.sha256[:n]) for n in (8, 16, 64))]
    for index, candidate in enumerate(candidates):
        remote = ledger.lookup(backend, candidate)
        while remote is None:
            if ledger.claim(candidate, sha256=source.sha256, size=source.size):
                return candidate, None
            remote = ledger.lookup(backend, candidate)  # another input took it just now
        if same_content(remote, source):
            return candidate, remote
        if index == 0 and policy == "error":
            raise UploadError(
                f"{key} already exists with different content",
                hint="rename the file, or pass --on-conflict rename (or overwrite)",
            )
    raise UploadError(f"{key}: every renamed key is taken by different content")


def hashed_key(key: str, digest: str) -> str:
    """``dir/name.ext`` -> ``dir/name-<digest>.ext``."""
    folder, _, name = key.rpartition("/")
    stem, ext = os.path.splitext(name)  # noqa: PTH122 - same split as {extName}
    if not stem:  # a name such as ".png": keep the dot file shape
        stem, ext = name, ""
    renamed = f"{stem}-{digest}{ext}"
    return f"{folder}/{renamed}" if folder else renamed


# ---- delete -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deleted:
    target: str
    key: str
    versions: int


def key_for(target: str, profile: Profile, history: History | None) -> tuple[str, Record | None]:
    """The object key a user meant by a link or a key, and the history's record of it."""
    if history is not None:
        known = history.find_url(profile=profile.name, url=target)
        if known is None and not target.startswith(("http://", "https://", "/")):
            known = history.find_key(profile=profile.name, bucket=profile.destination, key=target)
        if known is not None:
            return known.key, known
    if profile.assigns_keys and target.startswith(("http://", "https://")):
        # The service's own link: its path is the key; deleting it needs the history's hash.
        return unquote(urlsplit(target).path).lstrip("/"), None
    for base in profile.url_bases():
        if target.startswith(base + "/"):
            rest = target[len(base) + 1 :]
            suffix = profile.url_suffix
            if suffix and rest.endswith(suffix):
                rest = rest[: -len(suffix)]
            return unquote(rest.split("?", 1)[0].split("#", 1)[0]), None
    if target.startswith(("http://", "https://")):
        raise InputError(
            f"{target} is not a link of profile '{profile.name}'",
            hint="pass the object's key, or choose the profile that made the link (--profile)",
        )
    return target.lstrip("/"), None


def delete_objects(
    targets: Sequence[str],
    profile: Profile,
    *,
    uploader: Callable[[], Uploader],
    history: History | None,
) -> Iterator[Deleted | Failed]:
    lazy = LazyUploader(uploader)
    for target in targets:
        try:
            key, known = key_for(target, profile, history)
            token = known.delete_token if known is not None else ""
            versions = lazy.get().delete(key, delete_token=token)
            if history is not None:
                history.remove_key(profile=profile.name, bucket=profile.destination, key=key)
            if not versions:
                raise InputError(
                    f"{key} is not in {profile.describe_destination()}",
                    hint="b2img history shows what was uploaded",
                )
            yield Deleted(target, key, versions)
        except B2ImgError as exc:
            yield Failed(target, exc)
