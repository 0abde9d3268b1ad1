"""A local folder as the store: a static site's ``static/`` (Hugo, Hexo, Jekyll, Astro).

Files appear atomically: written to a temporary name in the same folder, flushed, then linked
into place. Linking fails if the name is taken, so a file is never overwritten unless the caller
asked for that (on_conflict = overwrite, which renames over it).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from pathlib import Path

from b2img import paths
from b2img.backends.base import ByteProgress, Payload, RemoteObject, StoredObject
from b2img.config import LocalSettings
from b2img.errors import ConfigError, InputError, UploadError

CHUNK = 1024 * 1024
TMP = ".b2img-tmp"  # the suffix of a file being written


class LocalUploader:
    def __init__(self, settings: LocalSettings, *, profile: str) -> None:
        self._root = settings.root()
        self._profile = profile

    def _where(self, key: str) -> Path:
        """The file for ``key``, refused if a symlink would take it outside the folder."""
        target = self._root.joinpath(*key.split("/"))
        parent = target.parent.resolve()
        root = self._root.resolve()
        if parent != root and root not in parent.parents:
            raise UploadError(
                f"{key}: its folder leads outside {paths.display(self._root)} (a symlink)",
                hint="remove the symlink, or choose another upload_path",
            )
        return target

    def head(self, key: str) -> RemoteObject | None:
        self._require_root()
        target = self._where(key)
        if not target.is_file():
            return None
        return RemoteObject(key=key, size=target.stat().st_size, sha256=_sha256(target))

    def list_folder(self, folder: str) -> set[str] | None:
        self._require_root()
        where = self._where(f"{folder}/x" if folder else "x").parent
        try:
            with os.scandir(where) as entries:
                names = [e.name for e in entries if e.is_file() and not e.name.endswith(TMP)]
        except FileNotFoundError:
            return set()
        except OSError:
            return None
        return {f"{folder}/{name}" if folder else name for name in names}

    def put(self, payload: Payload, *, progress: ByteProgress | None = None) -> StoredObject:
        self._require_root()
        target = self._where(payload.key)
        action = f"writing {paths.display(target)}"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}{TMP}")
            try:
                _write(tmp, payload, progress)
                if payload.replace:
                    tmp.replace(target)
                else:
                    _link_new(tmp, target, payload)
            finally:
                tmp.unlink(missing_ok=True)
        except FileExistsError:
            raise UploadError(
                f"{paths.display(target)} appeared while uploading, with other content",
                hint="run the upload again (it will be renamed), or --on-conflict overwrite",
            ) from None
        except OSError as exc:
            raise UploadError(f"{action} failed ({exc.strerror or exc})") from None
        return StoredObject(key=payload.key, size=payload.size)

    def delete(self, key: str, *, delete_token: str = "") -> int:
        self._require_root()
        target = self._where(key)
        try:
            target.unlink()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise UploadError(
                f"deleting {paths.display(target)} failed ({exc.strerror or exc})"
            ) from None
        # Folders the upload path made (2026/12/) go when they are left empty.
        folder = target.parent
        while folder != self._root and self._root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
        return 1

    def check(self) -> None:
        self._require_root()
        if not os.access(self._root, os.W_OK):
            raise ConfigError(
                f"folder {paths.display(self._root)} is not writable",
                hint="check its permissions, or choose another directory",
            )

    def _require_root(self) -> None:
        if not self._root.is_dir():
            raise ConfigError(
                f"profile '{self._profile}': folder {paths.display(self._root)} does not exist",
                hint="create it, or fix directory in the profile (relative paths start at the "
                "current directory)",
            )


def _write(tmp: Path, payload: Payload, progress: ByteProgress | None) -> None:
    # 0o666 filtered by the umask: a web server must be able to read what a site serves.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "wb") as out:
        if payload.data is not None:
            out.write(payload.data)
            if progress:
                progress(len(payload.data))
        elif payload.path is not None:
            try:
                source = payload.path.open("rb")
            except OSError as exc:
                raise InputError(f"{payload.label}: cannot read ({exc.strerror})") from None
            with source:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    if progress:
                        progress(len(chunk))
        out.flush()
        os.fsync(out.fileno())


def _link_new(tmp: Path, target: Path, payload: Payload) -> None:
    """Put ``tmp`` at ``target`` unless ``target`` exists; the same bytes there are fine."""
    try:
        os.link(tmp, target)
        return
    except FileExistsError:
        if target.is_file() and _sha256(target) == payload.sha256:
            return
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
    # A file system without hard links (FAT, some network mounts): reserve the name, then
    # rename over the reservation, which only this process holds.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    os.close(fd)
    try:
        tmp.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
