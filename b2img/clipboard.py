"""The only module that touches the clipboard. Every helper runs with a timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

HELPER_TIMEOUT = 3.0


class ClipboardUnavailable(Exception):
    """The clipboard could not be written; callers report it as a warning."""


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


def _missing_tool_hint() -> str:
    if sys.platform == "darwin":  # pragma: no cover
        return "pbcopy failed"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no graphical session (DISPLAY/WAYLAND_DISPLAY unset)"
    return "no working clipboard tool; install xclip (X11) or wl-clipboard (Wayland)"


def _copy_with_pyperclip(text: str) -> None:  # pragma: no cover - Windows only
    import pyperclip

    try:
        pyperclip.copy(text)
    except pyperclip.PyperclipException as exc:
        raise ClipboardUnavailable(str(exc)) from None
