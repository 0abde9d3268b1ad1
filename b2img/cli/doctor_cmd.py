"""`b2img doctor`: check the whole chain, from the config to the link on your domain."""

import sys
from typing import TYPE_CHECKING

import typer

from . import output
from .common import JsonOption, ProfileOption, load_config

if TYPE_CHECKING:
    from b2img.doctor import Check

MARKS = {"ok": ("✓", "green"), "fail": ("✗", "red"), "skip": ("-", "bright_black")}


def doctor(profile: ProfileOption = None, json_out: JsonOption = False) -> None:
    """Check the config, the key, the bucket, an upload, its link (through your Worker), caching,
    that the bucket is private, and the clipboard. Uploads a tiny probe under .b2img-doctor/ and
    deletes it. Exits 0 only if every check passes."""
    from b2img import clipboard
    from b2img.backends import make_uploader
    from b2img.doctor import diagnose

    checks: list[Check] = []
    for check in diagnose(
        profile,
        load=load_config,
        make_uploader=lambda chosen: make_uploader(chosen, max_connections=2),
        clipboard=clipboard.tools_status,
    ):
        checks.append(check)
        if not json_out:
            _show(check)
    failed = [c for c in checks if c.status == "fail"]
    if json_out:
        output.emit_json(
            {
                "version": output.JSON_VERSION,
                "command": "doctor",
                "ok": not failed,
                "checks": [
                    {
                        "id": c.id,
                        "title": c.title,
                        "status": c.status,
                        "detail": c.detail,
                        "fix": c.fix,
                    }
                    for c in checks
                ],
            }
        )
    elif failed:
        output.note(f"{len(failed)} of {len(checks)} checks failed.")
    if failed:
        raise typer.Exit(failed[0].exit_code)


def _show(check: "Check") -> None:
    """One line per check (and its fix): coloured by rich on a terminal, plain in a pipe."""
    mark, colour = MARKS[check.status]
    text = f"{check.title}: {check.detail}" if check.detail else check.title
    if not sys.stdout.isatty():
        output.payload(f"{mark} {text}")
        if check.fix:
            output.payload(f"    Fix: {check.fix}")
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    style = "bold" if check.status == "fail" else ""
    line = f"[{colour} bold]{mark}[/] [{style}]{escape(text)}[/]" if style else None
    console.print(line or f"[{colour} bold]{mark}[/] {escape(text)}")
    if check.fix:
        console.print(f"    [bold]Fix:[/] {escape(check.fix)}")
