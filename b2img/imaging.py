"""Image facts that need Pillow. Imported only when a command needs them."""

from __future__ import annotations

import io


def dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header (no full decode), or None if Pillow cannot tell."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return int(width), int(height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
