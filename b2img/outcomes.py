"""What an upload produced: plain values, light to import (the CLI renders them)."""

from __future__ import annotations

from dataclasses import dataclass

from b2img.errors import B2ImgError


@dataclass(frozen=True)
class Uploaded:
    source: str
    key: str
    url: str
    link: str
    size: int
    content_type: str
    dry_run: bool = False
    version_id: str = ""
    # "" for a new upload; "history" when the history knew the content (no request made);
    # "store" when the store already held these bytes under the key.
    reused: str = ""
    renamed_from: str = ""
    original_size: int = 0  # before the image pipeline (0: it changed nothing)
    removed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failed:
    source: str
    error: B2ImgError


Outcome = Uploaded | Failed
