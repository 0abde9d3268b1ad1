"""Local upload history in SQLite: what was uploaded where, so repeats cost no request.

The schema grows by appending small migration functions; ``PRAGMA user_version`` records how
many have run. WAL mode and a busy timeout let several b2img processes write at once.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from b2img import paths
from b2img.errors import ConfigError

DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 10_000


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


@dataclass(frozen=True)
class Record:
    profile: str
    backend: str
    bucket: str
    key: str
    url: str
    size: int
    sha256: str
    content_type: str = ""
    version_id: str = ""
    source: str = ""
    # What deleting the upload takes where the key is not enough (SM.MS's delete hash). It
    # lets anyone delete the image, so it is never printed.
    delete_token: str = ""
    uploaded_at: str = ""  # ISO 8601, UTC
    id: int = 0


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE uploads (
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            backend TEXT NOT NULL,
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            url TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            content_type TEXT NOT NULL DEFAULT '',
            version_id TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            uploaded_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX uploads_by_content ON uploads (profile, bucket, sha256)")
    db.execute("CREATE INDEX uploads_by_key ON uploads (profile, bucket, key)")


def _v2(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE uploads ADD COLUMN delete_token TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX uploads_by_url ON uploads (profile, url)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
_COLUMNS = (
    "profile, backend, bucket, key, url, size, sha256, content_type, version_id, source, "
    "delete_token, uploaded_at, id"
)


def _upgrade(db: sqlite3.Connection, path: Path) -> None:
    """Run the migrations the file has not had yet (inside the caller's transaction)."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > len(MIGRATIONS):
        raise ConfigError(
            f"the upload history was written by a newer b2img (schema {version})",
            where=paths.display(path),
            hint="upgrade b2img",
        )
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        migration(db)
        db.execute(f"PRAGMA user_version = {number}")


def _create(path: Path) -> None:
    """Make a new history under a private name, then link it into place.

    Switching a database to WAL needs the file to itself, and SQLite does not wait for that:
    processes opening a new history at the same moment (an editor uploading several images at
    once) would see "database is locked", and go on without the history. Here each builds its
    own file; the first link wins and the others use it.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    try:
        db = sqlite3.connect(temp, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            _upgrade(db, path)
            db.execute("COMMIT")
        finally:
            db.close()  # checkpoints: the file alone holds everything, and stays in WAL mode
        temp.chmod(0o600)
        try:
            path.hardlink_to(temp)
        except FileExistsError:
            pass  # another process was first: its history is as good as this one
        except OSError:  # a file system without hard links
            if not path.exists():
                temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def _use_wal(db: sqlite3.Connection) -> None:
    """Put an existing history in WAL mode (a no-op for any file b2img created). The switch
    needs the file to itself and SQLite does not wait for that, so it is tried again for a
    while; a file system that cannot do WAL keeps its rollback journal, which works too."""
    (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while str(mode).lower() != "wal":
        try:
            (mode,) = db.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
        else:
            if str(mode).lower() == "wal" or time.monotonic() > deadline:
                return
        time.sleep(0.05)


class History:
    """One connection shared by the upload threads; every write is its own transaction."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or db_path()
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                _create(self.path)
            self._db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
                isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE … COMMIT
            )
            # The history holds delete hashes (and says what you uploaded): private to you.
            if self.path.exists() and self.path.stat().st_mode & 0o077:
                self.path.chmod(0o600)
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _use_wal(self._db)
            # In WAL mode NORMAL never corrupts the file; a power cut may forget the last few
            # uploads (they are then checked against the store again), and no commit waits for
            # the disk.
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot open the upload history ({exc})",
                where=paths.display(self.path),
                hint=f"check the file, or point {paths.DATA_DIR_ENV} elsewhere",
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot create the data directory ({exc.strerror})",
                where=paths.display(self.path.parent),
                hint=f"set {paths.DATA_DIR_ENV} to a writable directory",
            ) from None

    def _migrate(self) -> None:
        with self._transaction() as db:
            _upgrade(db, self.path)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, record: Record) -> Record:
        when = record.uploaded_at or datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO uploads (profile, backend, bucket, key, url, size, sha256, "
                "content_type, version_id, source, delete_token, uploaded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.profile,
                    record.backend,
                    record.bucket,
                    record.key,
                    record.url,
                    record.size,
                    record.sha256,
                    record.content_type,
                    record.version_id,
                    record.source,
                    record.delete_token,
                    when,
                ),
            )
            row_id = cursor.lastrowid or 0
        return dataclasses.replace(record, uploaded_at=when, id=row_id)

    def find_content(self, *, profile: str, bucket: str, sha256: str) -> Record | None:
        """The latest upload of this content for this profile and bucket."""
        return self._one(
            "WHERE profile = ? AND bucket = ? AND sha256 = ? ORDER BY id DESC LIMIT 1",
            (profile, bucket, sha256),
        )

    def find_key(self, *, profile: str, bucket: str, key: str) -> Record | None:
        return self._one(
            "WHERE profile = ? AND bucket = ? AND key = ? ORDER BY id DESC LIMIT 1",
            (profile, bucket, key),
        )

    def find_url(self, *, profile: str, url: str) -> Record | None:
        return self._one("WHERE profile = ? AND url = ? ORDER BY id DESC LIMIT 1", (profile, url))

    def remove_key(self, *, profile: str, bucket: str, key: str) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM uploads WHERE profile = ? AND bucket = ? AND key = ?",
                (profile, bucket, key),
            )
            return cursor.rowcount

    def search(
        self, *, profile: str | None = None, text: str | None = None, limit: int = 50
    ) -> list[Record]:
        clauses, args = [], []
        if profile:
            clauses.append("profile = ?")
            args.append(profile)
        if text:
            clauses.append(
                "(key LIKE ? ESCAPE '\\' OR url LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\')"
            )
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            args += [pattern, pattern, pattern]
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM uploads {where} ORDER BY id DESC LIMIT ?",  # noqa: S608 - clauses are fixed strings
                (*args, limit),
            ).fetchall()
        return [Record(*row) for row in rows]

    def _one(self, where: str, args: tuple[str, ...]) -> Record | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM uploads {where}", args).fetchone()  # noqa: S608 - fixed strings
        return Record(*row) if row else None
