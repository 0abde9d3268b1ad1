"""`b2img history`: what was uploaded, from the local history."""

import dataclasses
import sys
from datetime import datetime
from typing import Annotated

import typer

from . import output
from .common import JsonOption

app = typer.Typer(
    help="Show past uploads (newest first), or where the history is kept.",
    invoke_without_command=True,
    rich_markup_mode=None,
)


@app.callback()
def history(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            metavar="NAME",
            help="Only this profile's uploads.",
            show_default=False,
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Only uploads whose key, URL or source contains TEXT.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, metavar="N", help="At most N.")
    ] = 20,
    json_out: JsonOption = False,
) -> None:
    """Show past uploads, newest first (from the local history)."""
    if ctx.invoked_subcommand is not None:
        return
    from b2img.history import History, db_path

    if not db_path().exists():
        records = []
    else:
        store = History()
        records = store.search(profile=profile, text=search, limit=limit)
        store.close()
    if json_out:
        output.emit_json(
            {
                "version": output.JSON_VERSION,
                # A delete hash lets anyone delete the image: it stays in the database.
                "uploads": [
                    {k: v for k, v in dataclasses.asdict(r).items() if k != "delete_token"}
                    for r in records
                ],
            }
        )
        return
    if not records:
        output.note("No uploads in the history.")
        return
    rows = [
        (
            datetime.fromisoformat(r.uploaded_at).astimezone().strftime("%Y-%m-%d %H:%M"),
            r.profile,
            output.human_size(r.size),
            r.source,
            r.url,
        )
        for r in records
    ]
    if not sys.stdout.isatty():  # for pipes: whole values, tab-separated, no truncation
        for row in rows:
            output.payload("\t".join(row))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("when", "profile", "size", "source", "url"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command("path")
def path() -> None:
    """Print the history database's path."""
    from b2img.history import db_path

    output.payload(str(db_path()))
