"""The only module that touches the clipboard. Every helper process runs with a timeout.

Reading returns either an image's bytes or the files a file manager copied. On Linux the helper
is chosen by trying it, not by trusting ``XDG_SESSION_TYPE``: wl-paste when a Wayland display is
set, then xclip (or xsel for text) when an X display is set, so XWayland sessions and
misconfigured environments still work. macOS and Windows use Pillow's ImageGrab.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from b2img.errors import InputError
from b2img.mediatype import sniff

HELPER_TIMEOUT = 5.0
# Formats uploaded as they are; any other image type on the clipboard is re-encoded as PNG.
KEEP_AS_IS = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/avif")
FILE_LIST_TYPES = ("text/uri-list", "x-special/gnome-copied-files")
TEXT_TYPES = ("text/plain;charset=utf-8", "UTF8_STRING", "text/plain", "STRING", "TEXT")
INSTALL_HINT = "install xclip (X11) or wl-clipboard (Wayland), e.g. sudo apt-get install xclip"


class ClipboardUnavailable(Exception):
    """The clipboard could not be written; callers report it as a warning."""


@dataclass(frozen=True)
class ClipboardContent:
    """What was on the clipboard: an encoded image, or copied files (never both)."""

    image: bytes = b""
    mime: str = ""
    files: tuple[Path, ...] = field(default=())


# ---- writing ------------------------------------------------------------------------------------


def copy_text(text: str) -> None:
    data = text.encode("utf-8")
    for argv in _writers():
        try:
            # The helper may fork to keep serving the selection: its output must not be a pipe
            # we wait on, or we would wait for as long as the selection lives.
            done = subprocess.run(
                argv,
                input=data,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=HELPER_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        _copy_with_pyperclip(text)
        return
    raise ClipboardUnavailable(_missing_tool_hint())


def _writers() -> list[list[str]]:
    if sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        return [["pbcopy"]]
    writers: list[list[str]] = []
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy"):
        writers.append(["wl-copy", "--type", "text/plain;charset=utf-8"])
    if os.environ.get("DISPLAY"):
        if shutil.which("xclip"):
            writers.append(["xclip", "-selection", "clipboard", "-in"])
        if shutil.which("xsel"):
            writers.append(["xsel", "--clipboard", "--input"])
    return writers


def tools_status() -> tuple[bool | None, str]:
    """Whether paste and copy can work here: True, False, or None when there is no graphical
    session to have a clipboard in; and what was found."""
    if sys.platform in ("darwin", "win32"):  # pragma: no cover - built into the system
        return True, "the system clipboard"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None, "no graphical session (DISPLAY/WAYLAND_DISPLAY unset)"
    writers = _writers()
    if _linux_readers() and writers:
        return True, "found " + ", ".join(sorted({argv[0] for argv in writers}))
    return False, "no clipboard tool for this session; " + INSTALL_HINT


def _missing_tool_hint() -> str:
    if sys.platform == "darwin":  # pragma: no cover
        return "pbcopy failed"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no graphical session (DISPLAY/WAYLAND_DISPLAY unset)"
    return "no working clipboard tool; " + INSTALL_HINT


def _copy_with_pyperclip(text: str) -> None:  # pragma: no cover - Windows only
    import pyperclip

    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException as exc:
        raise ClipboardUnavailable(str(exc)) from None


# ---- reading ------------------------------------------------------------------------------------


def read_clipboard() -> ClipboardContent:
    """The image or the copied image files on the clipboard; InputError when there are none."""
    if sys.platform in ("darwin", "win32"):  # pragma: no cover - exercised on those systems
        return _read_with_imagegrab()
    readers = _linux_readers()
    if not readers:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise InputError(
                "cannot read the clipboard: no graphical session (DISPLAY and WAYLAND_DISPLAY "
                "are unset)",
                hint="run b2img inside your desktop session, or upload a file: b2img upload FILE",
            )
        raise InputError("cannot read the clipboard: no clipboard tool found", hint=INSTALL_HINT)
    failures: list[str] = []
    for reader in readers:
        try:
            return reader.read()
        except _ToolFailed as exc:
            failures.append(str(exc))
    raise InputError(
        "cannot read the clipboard: " + "; ".join(failures),
        hint="check that the display is reachable, or " + INSTALL_HINT,
    )


class _ToolFailed(Exception):
    """This helper could not talk to its display; another one may."""


class _Reader:
    name = ""

    def targets(self) -> list[str]:
        raise NotImplementedError

    def fetch(self, target: str) -> bytes:
        raise NotImplementedError

    def read(self) -> ClipboardContent:
        targets = self.targets()
        images = [t for t in targets if t.startswith("image/")]
        for preferred in (*KEEP_AS_IS, *images):
            if preferred in targets:
                return _image_content(self.fetch(preferred))
        for file_type in FILE_LIST_TYPES:
            if file_type in targets:
                files = _parse_file_list(self.fetch(file_type).decode("utf-8", "replace"))
                if files:
                    return ClipboardContent(files=files)
        for text_type in TEXT_TYPES:
            if text_type in targets:
                files = _parse_path_list(self.fetch(text_type).decode("utf-8", "replace"))
                if files:
                    return ClipboardContent(files=files)
                raise _no_image("the clipboard holds text, not an image")
        raise _no_image("the clipboard is empty" if not targets else "no image type is offered")

    def _run(self, argv: Sequence[str]) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=HELPER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise _ToolFailed(f"{self.name} did not answer within {HELPER_TIMEOUT:.0f} s") from None
        except OSError as exc:
            raise _ToolFailed(f"{self.name} could not start ({exc.strerror})") from None


class _XclipReader(_Reader):
    name = "xclip"

    def targets(self) -> list[str]:
        done = self._run(["xclip", "-selection", "clipboard", "-target", "TARGETS", "-out"])
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            if "open display" in message.lower():
                raise _ToolFailed(f"xclip cannot open display {os.environ.get('DISPLAY', '')}")
            return []  # no owner: an empty clipboard
        return [line.strip() for line in done.stdout.decode("utf-8", "replace").splitlines()]

    def fetch(self, target: str) -> bytes:
        done = self._run(["xclip", "-selection", "clipboard", "-target", target, "-out"])
        if done.returncode != 0:
            raise _no_image("the clipboard changed while it was read")
        return done.stdout


class _WlPasteReader(_Reader):
    name = "wl-paste"

    def targets(self) -> list[str]:
        done = self._run(["wl-paste", "--list-types"])
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().lower()
            if "no selection" in message or "nothing is copied" in message:
                return []
            raise _ToolFailed(f"wl-paste failed ({message or done.returncode})")
        return [line.strip() for line in done.stdout.decode("utf-8", "replace").splitlines()]

    def fetch(self, target: str) -> bytes:
        done = self._run(["wl-paste", "--no-newline", "--type", target])
        if done.returncode != 0:
            raise _no_image("the clipboard changed while it was read")
        return done.stdout


def _linux_readers() -> list[_Reader]:
    readers: list[_Reader] = []
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-paste"):
        readers.append(_WlPasteReader())
    if os.environ.get("DISPLAY") and shutil.which("xclip"):
        readers.append(_XclipReader())
    return readers


def _no_image(detail: str) -> InputError:
    return InputError(
        f"no image on the clipboard ({detail})",
        hint="copy an image or image files first, or upload a file: b2img upload FILE",
    )


def _image_content(data: bytes) -> ClipboardContent:
    media = sniff(data)
    if media is None or not media.raster:
        raise _no_image("its data is not an image b2img can upload")
    if media.mime in KEEP_AS_IS:
        return ClipboardContent(image=data, mime=media.mime)
    return ClipboardContent(image=_to_png(data), mime="image/png")


def _to_png(data: bytes) -> bytes:
    """Re-encode a BMP/TIFF/… clipboard image as PNG, keeping any alpha channel."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.save(out, "PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise _no_image(f"its image could not be decoded: {type(exc).__name__}") from None


def _parse_file_list(text: str) -> tuple[Path, ...]:
    """file:// URIs from text/uri-list (or GNOME's list, whose first line is copy/cut)."""
    paths = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line in ("copy", "cut"):
            continue
        parts = urlsplit(line)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            paths.append(Path(unquote(parts.path)))
    return tuple(paths)


def _parse_path_list(text: str) -> tuple[Path, ...]:
    """Text that is nothing but absolute paths of existing files, one per line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ()
    if lines[0] in ("copy", "cut"):  # some file managers put GNOME's list in plain text
        return _parse_file_list(text)
    paths: list[Path] = []
    for line in lines:
        if line.startswith("file://"):
            paths.extend(_parse_file_list(line))
            continue
        path = Path(line).expanduser()
        if not path.is_absolute() or not path.is_file():
            return ()
        paths.append(path)
    return tuple(paths)


def _read_with_imagegrab() -> ClipboardContent:  # pragma: no cover - macOS and Windows only
    from PIL import ImageGrab

    try:
        grabbed = ImageGrab.grabclipboard()
    except (OSError, NotImplementedError) as exc:
        raise InputError(f"cannot read the clipboard ({exc})") from None
    if grabbed is None:
        raise _no_image("the clipboard is empty or holds text")
    if isinstance(grabbed, list):
        files = tuple(Path(p) for p in grabbed if Path(p).is_file())
        if not files:
            raise _no_image("the copied items are not files")
        return ClipboardContent(files=files)
    out = io.BytesIO()
    grabbed.save(out, "PNG")  # PNG keeps the alpha channel the clipboard gave us
    return ClipboardContent(image=out.getvalue(), mime="image/png")
