"""`b2img upload`: files in, links out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from b2img.backends import make_uploader
from b2img.errors import ConfigError
from b2img.links import LinkFormat
from b2img.service import UploadPlan, upload_files

from . import output
from .common import JsonOption, ProfileOption, load_config
from .results import render_outcomes


def upload(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Image files to upload.", show_default=False, metavar="FILE", readable=False
        ),
    ],
    profile: ProfileOption = None,
    link_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help='markdown, url, html, bbcode, or a template such as \'<img src="{url}" '
            'width="{width}">\' (fields: {url} {name} {key} {width} {height}). '
            "Default: the profile's link_format.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOption = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=64, metavar="N", help="Concurrent uploads.")
    ] = 8,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", "-n", help="Print the keys and links; upload nothing."),
    ] = False,
    copy: Annotated[
        bool, typer.Option("--copy/--no-copy", help="Copy the links to the clipboard.")
    ] = True,
) -> None:
    """Upload image files and print one link per file, in the order given."""
    config = load_config()
    chosen = config.profile(profile)
    fmt = _link_format(link_format) if link_format else chosen.link_format
    uploader = None if dry_run else make_uploader(chosen, max_connections=jobs)
    outcomes = upload_files(files, UploadPlan(chosen, fmt), uploader=uploader, jobs=jobs)
    shown = output.with_progress(outcomes, total=len(files), label="Uploading")
    code = render_outcomes(
        shown, command="upload", profile=chosen.name, json_out=json_out, copy=copy, dry_run=dry_run
    )
    if code:
        raise typer.Exit(code)


def _link_format(spec: str) -> LinkFormat:
    try:
        return LinkFormat.parse(spec)
    except ConfigError as exc:
        raise typer.BadParameter(f"{exc.message}. {exc.hint}", param_hint="--format") from None
