"""Small builders shared by the tests."""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import tomlkit
from PIL import Image


def month() -> str:
    """The {year}/{month} part of a key rendered now (local time)."""
    now = datetime.now()
    return f"{now.year:04d}/{now.month:02d}"


def write_config(
    profiles: dict[str, dict[str, Any]], *, default: str | None = None, path: Path | None = None
) -> Path:
    path = path or Path(os.environ["B2IMG_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.document()
    doc["default_profile"] = default or next(iter(profiles))
    doc["profiles"] = profiles
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    path.chmod(0o600)
    return path


def png_bytes(size: tuple[int, int] = (8, 6), color: tuple[int, ...] = (255, 0, 0, 128)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (0, 128, 255)).save(buffer, "JPEG")
    return buffer.getvalue()


def write_png(path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(**kwargs))
    return path
