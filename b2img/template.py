"""The ``upload_path`` template: picgo-plugin-s3's placeholders with the same meaning.

Date and time fields use local time. ``{name:N}`` keeps the first N characters of a value and
``{name:start,len}`` a slice, for every placeholder (picgo-plugin-s3 allows slicing only on the
file-derived ones; allowing it everywhere accepts every template that plugin accepts).
A rendered key is sanitised so it is always a usable object key.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from b2img.errors import ConfigError

DATE_FIELDS = (
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "timestamp",
    "timestampMS",
)
FILE_FIELDS = (
    "fullName",
    "fileName",
    "extName",
    "md5",
    "md5B64",
    "md5B64Short",
    "sha1",
    "sha256",
)
PLACEHOLDERS = DATE_FIELDS + FILE_FIELDS
MAX_KEY_BYTES = 1024  # S3's limit on an object key

Digest = Callable[[str], bytes]
_TOKEN = re.compile(r"\{([^{}]*)\}")
_SPEC = re.compile(r"([A-Za-z0-9_]+)(?::(\d+)(?:,(\d+))?)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Field:
    name: str
    start: int = 0
    length: int | None = None


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[str | Field, ...]

    @classmethod
    def parse(cls, source: str) -> Template:
        parts: list[str | Field] = []
        pos = 0
        for match in _TOKEN.finditer(source):
            parts.append(source[pos : match.start()])
            parts.append(_parse_field(match.group(1)))
            pos = match.end()
        parts.append(source[pos:])
        return cls(source, tuple(p for p in parts if p != ""))

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parts if isinstance(p, Field))

    def render(self, *, name: str, digest: Digest, when: datetime) -> str:
        """The raw (unsanitised) text for one file named ``name``.

        ``digest(algorithm)`` returns the content's raw hash; it is called only for the hash
        placeholders the template uses.
        """
        values = _Values(name, digest, when)
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = values.get(part.name)
            end = None if part.length is None else part.start + part.length
            out.append(value[part.start : end])
        return "".join(out)

    def render_key(self, *, name: str, digest: Digest, when: datetime) -> str:
        return sanitize_key(self.render(name=name, digest=digest, when=when), template=self.source)


def _parse_field(spec: str) -> Field:
    match = _SPEC.fullmatch(spec)
    if match is None or match.group(1) not in PLACEHOLDERS:
        raise ConfigError(
            f"unknown placeholder {{{spec}}} in upload_path",
            hint="valid placeholders: " + " ".join(f"{{{p}}}" for p in PLACEHOLDERS),
        )
    name, first, second = match.groups()
    if first is None:
        return Field(name)
    if second is None:
        return Field(name, 0, int(first))
    return Field(name, int(first), int(second))


class _Values:
    """Computes each placeholder on first use, so unused hashes are never computed."""

    def __init__(self, name: str, digest: Digest, when: datetime) -> None:
        self._name = name
        self._digest = digest
        self._when = when
        self._cache: dict[str, str] = {}

    def get(self, field: str) -> str:
        if field not in self._cache:
            self._cache[field] = self._compute(field)
        return self._cache[field]

    def _compute(self, field: str) -> str:
        when, digest = self._when, self._digest
        # os.path.splitext splits like Node's path.extname, which picgo-plugin-s3 uses
        # ("a.tar.gz" -> "a.tar" + ".gz", ".bashrc" -> no extension).
        stem, ext = os.path.splitext(self._name)  # noqa: PTH122

        def md5_b64() -> str:
            return base64.urlsafe_b64encode(digest("md5")).decode("ascii")

        table: dict[str, Callable[[], str]] = {
            "year": lambda: f"{when.year:04d}",
            "month": lambda: f"{when.month:02d}",
            "day": lambda: f"{when.day:02d}",
            "hour": lambda: f"{when.hour:02d}",
            "minute": lambda: f"{when.minute:02d}",
            "second": lambda: f"{when.second:02d}",
            "millisecond": lambda: f"{when.microsecond // 1000:03d}",
            "timestamp": lambda: str(int(when.timestamp())),
            "timestampMS": lambda: str(int(when.timestamp() * 1000)),
            "fullName": lambda: self._name,
            "fileName": lambda: stem,
            "extName": lambda: ext.removeprefix("."),
            "md5": lambda: digest("md5").hex(),
            "md5B64": lambda: md5_b64().rstrip("="),
            "md5B64Short": lambda: md5_b64()[:7],
            "sha1": lambda: digest("sha1").hex(),
            "sha256": lambda: digest("sha256").hex(),
        }
        return table[field]()


def sanitize_key(raw: str, *, template: str) -> str:
    """Make a rendered template a safe object key, or explain why it cannot be one.

    Control characters are dropped; backslashes become ``/``; empty and ``.`` segments (from a
    leading ``/``, ``//`` or an empty placeholder) disappear; a ``..`` segment is refused, since a
    key that climbs out of its folder is never what a template meant.
    """
    cleaned = _CONTROL.sub("", raw).replace("\\", "/")
    segments = [s for s in cleaned.split("/") if s not in ("", ".")]
    if ".." in segments:
        raise ConfigError(
            f"upload_path '{template}' renders to '{raw}', which contains a '..' segment",
            hint="remove '..' from upload_path (b2img profile show to see it)",
        )
    key = "/".join(segments)
    if not key:
        raise ConfigError(
            f"upload_path '{template}' renders to an empty key",
            hint="include {fullName} or a hash such as {md5} in upload_path",
        )
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise ConfigError(
            f"upload_path '{template}' renders to a key longer than {MAX_KEY_BYTES} bytes",
            hint="shorten the template, or slice long values, e.g. {fileName:40}",
        )
    return key
