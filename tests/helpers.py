"""Small builders shared by the tests."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterable
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


_PROBE = """
import sys
from b2img.cli import main
sys.argv = ["b2img", *{args!r}]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
watched = {watched!r}
print("loaded:", " ".join(sorted(m for m in watched if m in sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def probe_cli(
    args: Iterable[str], *, watched: Iterable[str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run b2img's entry point in a fresh interpreter: the finished process (its stderr without
    the probe's own line) and which of the ``watched`` modules it had loaded, space-separated."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=list(args), watched=set(watched))],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=120,
    )
    *rest, last = done.stderr.splitlines() or [""]
    assert last.startswith("loaded:"), done.stderr
    done.stderr = "".join(line + "\n" for line in rest)
    return done, last.removeprefix("loaded:").strip()
