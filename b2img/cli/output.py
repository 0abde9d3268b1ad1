"""Everything b2img writes: the payload on stdout, messages on stderr, the JSON envelope."""

import json
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from b2img.errors import B2ImgError, ExitCode

JSON_VERSION = 1
T = TypeVar("T")


def _color() -> bool:
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


# While a progress bar is drawn on a terminal, result lines bound for the same terminal wait until
# it is gone; lines bound for a pipe (an editor reading them) are never held back.
_held: list[str] | None = None


def payload(line: str) -> None:
    """One line of the result on stdout, flushed so an editor sees it at once."""
    if _held is not None:
        _held.append(line)
        return
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def emit_json(document: dict[str, Any]) -> None:
    payload(json.dumps(document, ensure_ascii=False, indent=2))


# SGR codes as typer/click write them (colour first, then bold); written only to a terminal.
_COLORS = {"red": "31", "yellow": "33"}


def _label(text: str, color: str = "") -> str:
    if not _color():
        return text
    codes = f"\x1b[{_COLORS[color]}m" if color else ""
    return f"{codes}\x1b[1m{text}\x1b[0m"


# The console of the progress bar being drawn, if any: lines then go above the bar, unwrapped
# (a long path must stay one line when copied from the terminal).
_live: Any = None


def _line(text: str) -> None:
    if _live is not None:
        from rich.text import Text

        _live.print(Text.from_ansi(text), soft_wrap=True)
        return
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def note(message: str) -> None:
    _line(message)


def warn(message: str) -> None:
    _line(f"{_label('Warning:', 'yellow')} {message}")


def error(exc: B2ImgError, *, hint: bool = True, subject: str = "") -> None:
    """``Error: <message> [where]``, prefixed with ``subject`` unless the message names it."""
    _line(f"{_label('Error:', 'red')} {about(exc, subject)}")
    if hint and exc.hint:
        show_hint(exc.hint)


def failure(exc: BaseException) -> int:
    """Report an exception that reached the CLI's boundary; return the exit code for it."""
    if isinstance(exc, B2ImgError):
        error(exc)
        return int(exc.exit_code)
    if isinstance(exc, KeyboardInterrupt):
        note("Interrupted.")
        return int(ExitCode.INTERRUPTED)
    if os.environ.get("B2IMG_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    error(
        B2ImgError(
            f"unexpected {type(exc).__name__}",
            hint="run again with B2IMG_DEBUG=1 to see the traceback, and report it",
        )
    )
    return int(ExitCode.UNEXPECTED)


def about(exc: B2ImgError, subject: str) -> str:
    """The error's text, prefixed with ``subject`` unless it already names it."""
    text = str(exc)
    return f"{subject}: {text}" if subject and subject not in text else text


def show_hint(text: str) -> None:
    _line(f"{_label('Hint:')} {text}")


def error_json(exc: B2ImgError) -> dict[str, Any]:
    return {
        "type": exc.kind,
        "exit_code": int(exc.exit_code),
        "message": str(exc),
        "hint": exc.hint,
    }


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover - the loop always returns


# Inputs this large are streamed in parts (see b2img.sources.LARGE_FILE) and get a byte-level
# bar of their own; smaller ones go in one request, so bytes would only ever show 0 or all.
BYTE_BAR_FROM = 64 * 1024 * 1024 + 1


class ProgressBar:
    """A bar on stderr when it is a terminal: files done, plus bytes for large inputs.

    Off a terminal every method does nothing, so callers need not ask.
    """

    def __init__(self, *, total: int, label: str) -> None:
        self._total = total
        self._label = label
        self._bar: Any = None
        self._task: Any = None
        self._byte_tasks: dict[str, list[Any]] = {}
        self._lock = threading.Lock()  # bytes arrive from the transfer threads

    def __enter__(self) -> "ProgressBar":
        global _held, _live
        if not sys.stderr.isatty() or self._total < 1:
            return self
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
        # Never redirect stdout into the bar's console: the payload must stay on stdout.
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
            transient=True,
            redirect_stdout=False,
        )
        _held = [] if sys.stdout.isatty() else None
        self._bar.__enter__()
        _live = console
        self._done = 0
        self._task = self._bar.add_task(self._label, total=self._total, detail=self._count())
        return self

    def __exit__(self, *exc: object) -> None:
        global _held, _live
        if self._bar is None:
            return
        _live = None
        self._bar.__exit__(*exc)
        held, _held = _held, None
        for line in held or ():
            payload(line)

    def _count(self) -> str:
        return f"{self._done}/{self._total}"

    def file_done(self) -> None:
        if self._bar is not None:
            self._done += 1
            self._bar.update(self._task, advance=1, detail=self._count())

    def bytes_sent(self, label: str, sent: int, total: int) -> None:
        if self._bar is None or total < BYTE_BAR_FROM:
            return
        with self._lock:
            self._bytes_sent(label, sent, total)

    def _bytes_sent(self, label: str, sent: int, total: int) -> None:
        entry = self._byte_tasks.get(label)
        if entry is None:
            name = label if len(label) <= 40 else "…" + label[-39:]
            entry = self._byte_tasks[label] = [self._bar.add_task(name, total=total, detail=""), 0]
        entry[1] += sent
        detail = f"{human_size(entry[1])} / {human_size(total)}"
        self._bar.update(entry[0], advance=sent, detail=detail)


def with_progress(items: Iterable[T], bar: ProgressBar) -> Iterator[T]:
    """Yield ``items`` unchanged, counting each on ``bar``."""
    for item in items:
        yield item
        bar.file_done()
