"""What is at a key, for the uploads of one batch: the store's answer, and this batch's own claims.

Two inputs of a batch may render the same key (``a/pic.png`` and ``b/pic.png`` under
``{fullName}``). Checking the store for each, at once, would let both see an empty key and the
second PUT replace the first. So an upload *claims* a free key before sending, and another input
that wants the key waits for that upload to finish, then sees its content like any object.

For batches, the store is asked once per folder (a LIST) instead of once per key (a HEAD): a
key the listing does not show is free without a request. Only keys the listing shows, and
folders too large to list in a few pages, are looked at one by one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from b2img.backends.base import RemoteObject, Uploader

# Folders are listed, instead of checking each key, when a batch has at least this many inputs.
LIST_FROM = 3


@dataclass
class _Claim:
    sha256: str
    size: int
    done: threading.Event = field(default_factory=threading.Event)
    stored: bool = False


class KeyLedger:
    def __init__(self, *, use_listing: bool) -> None:
        self._use_listing = use_listing
        self._lock = threading.Lock()
        self._claims: dict[str, _Claim] = {}
        self._folders: dict[str, set[str] | None] = {}
        self._listing: dict[str, threading.Event] = {}

    def lookup(self, backend: Uploader, key: str) -> RemoteObject | None:
        """What holds ``key``: an upload of this batch (once it is done), or the store's object."""
        while True:
            with self._lock:
                claim = self._claims.get(key)
            if claim is None:
                break
            claim.done.wait()
            if claim.stored:
                return RemoteObject(key=key, size=claim.size, sha256=claim.sha256)
            # That upload failed and gave the key back: look again.
        if self._use_listing:
            listed = self._folder(backend, key.rpartition("/")[0])
            if listed is not None and key not in listed:
                return None
        return backend.head(key)

    def claim(self, key: str, *, sha256: str, size: int, over_stored: bool = False) -> bool:
        """Take a free key for an upload of this batch; False if another one holds it (still
        uploading, or, unless ``over_stored``, done with it)."""
        with self._lock:
            held = self._claims.get(key)
            if held is not None and not (over_stored and held.done.is_set()):
                return False
            self._claims[key] = _Claim(sha256, size)
            return True

    def release(self, key: str, *, stored: bool) -> None:
        """The claimed upload is over: stored (others now see it), or failed (the key is free)."""
        with self._lock:
            claim = self._claims[key]
            claim.stored = stored
            if not stored:
                del self._claims[key]
        claim.done.set()

    def _folder(self, backend: Uploader, folder: str) -> set[str] | None:
        """The keys directly in ``folder``, listed once for the batch (None: not listable)."""
        with self._lock:
            if folder in self._folders:
                return self._folders[folder]
            waiting = self._listing.get(folder)
            event = waiting or threading.Event()
            self._listing[folder] = event
        if waiting is not None:
            event.wait()
            with self._lock:
                return self._folders.get(folder)
        listed: set[str] | None = None
        try:
            listed = backend.list_folder(folder)
        finally:
            with self._lock:
                self._folders[folder] = listed
            event.set()
        return listed
