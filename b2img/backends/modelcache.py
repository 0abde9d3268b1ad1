"""A faster way for botocore to read its models: parsed once, then kept in ``marshal`` form.

Creating an S3 client makes botocore parse about 2 MB of JSON (the S3 model, its endpoint
rules, the endpoint list), with every object built as an OrderedDict: some 100 ms of each cold
upload. This loader parses those files the first time and keeps the result in b2img's cache
folder; later runs read it back several times faster. A cache entry names the file, its size
and modification time and the Python version, so an upgraded botocore (or Python) is parsed
afresh, and a damaged entry is ignored.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader

from b2img import paths

FORMAT = 1
EXTENSIONS = (".json", ".json.gz")  # botocore's order: a plain file wins over a gzipped one


def cache_dir() -> Path:
    return paths.cache_dir() / "botocore"


class CachedJSONFileLoader(JSONFileLoader):
    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder or cache_dir()

    def load_file(self, file_path: str) -> Any:
        for extension in EXTENSIONS:
            full = file_path + extension
            try:
                info = Path(full).stat()
            except OSError:
                continue
            stamp = (FORMAT, sys.hexversion, full, info.st_size, info.st_mtime_ns)
            entry = self._folder / (hashlib.sha256(full.encode()).hexdigest()[:32] + ".marshal")
            cached = _read(entry, stamp)
            if cached is not None:
                return cached
            opener = gzip.open if extension == ".json.gz" else open
            with opener(full, "rb") as handle:
                data = json.loads(handle.read().decode("utf-8"))
            _write(entry, stamp, data)
            return data
        return None


class S3Loader(Loader):
    """botocore's loader for a process that only ever makes S3 clients.

    Creating a client makes botocore confirm that its service is a known one by listing every
    service folder it ships (some 400 directories, 900 file checks); b2img asks for S3 alone.
    """

    def __init__(self) -> None:
        super().__init__(file_loader=CachedJSONFileLoader())

    def list_available_services(self, type_name: str) -> list[str]:
        try:
            self.list_api_versions("s3", type_name)
        except DataNotFoundError:
            return []
        return ["s3"]


def _read(entry: Path, stamp: tuple[Any, ...]) -> Any:
    try:
        raw = entry.read_bytes()
        # Only b2img writes here, in the user's private (0700) cache folder.
        found_stamp, data = marshal.loads(raw)  # noqa: S302 - b2img's own cache, see above
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return data if found_stamp == stamp else None


def _write(entry: Path, stamp: tuple[Any, ...], data: Any) -> None:
    """Best effort: a cache that cannot be written only means parsing again next time."""
    with contextlib.suppress(OSError, ValueError):
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps((stamp, data)))
        tmp.replace(entry)
