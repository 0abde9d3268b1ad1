"""Everything b2img writes: the payload on stdout, messages on stderr, the JSON envelope."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

import typer

from b2img.errors import B2ImgError

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


def note(message: str) -> None:
    typer.echo(message, err=True, color=_color())


def warn(message: str) -> None:
    label = typer.style("Warning:", fg="yellow", bold=True)
    typer.echo(f"{label} {message}", err=True, color=_color())


def error(exc: B2ImgError, *, hint: bool = True, subject: str = "") -> None:
    """``Error: <message> [where]``, prefixed with ``subject`` unless the message names it."""
    label = typer.style("Error:", fg="red", bold=True)
    typer.echo(f"{label} {about(exc, subject)}", err=True, color=_color())
    if hint and exc.hint:
        show_hint(exc.hint)


def about(exc: B2ImgError, subject: str) -> str:
    """The error's text, prefixed with ``subject`` unless it already names it."""
    text = str(exc)
    return f"{subject}: {text}" if subject and subject not in text else text


def show_hint(text: str) -> None:
    typer.echo(f"{typer.style('Hint:', bold=True)} {text}", err=True, color=_color())


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


def with_progress(items: Iterable[T], *, total: int, label: str) -> Iterator[T]:
    """Yield ``items`` unchanged, with a progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty() or total < 1:
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    global _held
    console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    _held = [] if sys.stdout.isatty() else None
    try:
        # Never redirect stdout into the bar's console: the payload must stay on stdout.
        with Progress(*columns, console=console, transient=True, redirect_stdout=False) as bar:
            task = bar.add_task(label, total=total)
            for item in items:
                yield item
                bar.advance(task)
    finally:
        held, _held = _held, None
        for line in held or ():
            payload(line)
