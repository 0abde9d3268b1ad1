"""`b2img paste`: the clipboard's image (or copied image files) in, links out."""

from __future__ import annotations

from typing import Annotated

import typer

from b2img.clipboard import read_clipboard
from b2img.service import Pending
from b2img.sources import clipboard_source

from . import output
from .common import JsonOption, ProfileOption
from .run import (
    CopyOption,
    DryRunOption,
    ForceOption,
    FormatOption,
    JobsOption,
    OnConflictOption,
    PicgoOption,
    RunOptions,
    run_upload,
)


def paste(
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="File name for the clipboard image ({fullName}); default: the time, "
            "e.g. 20261128192240123.png.",
            show_default=False,
        ),
    ] = None,
    profile: ProfileOption = None,
    link_format: FormatOption = None,
    json_out: JsonOption = False,
    jobs: JobsOption = 8,
    dry_run: DryRunOption = False,
    copy: CopyOption = True,
    picgo_compat: PicgoOption = False,
    on_conflict: OnConflictOption = None,
    force: ForceOption = False,
) -> None:
    """Upload the image on the clipboard, or the image files copied in a file manager."""
    options = RunOptions(
        profile, link_format, json_out, jobs, dry_run, copy, picgo_compat, on_conflict, force
    )
    run_upload("paste", options, lambda: clipboard_items(name))


def clipboard_items(name: str | None) -> list[Pending]:
    content = read_clipboard()
    if content.files:
        if name:
            output.warn("--name applies to a clipboard image; copied files keep their names")
        return [Pending.from_path(path) for path in content.files]
    return [Pending.from_source(clipboard_source(content.image, name=name))]
