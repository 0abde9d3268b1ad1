"""`b2img upload`: files in, links out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from b2img.service import Pending

from .common import JsonOption, ProfileOption
from .paste import clipboard_items
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


def upload(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Image files to upload.", show_default=False, metavar="FILE", readable=False
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
    """Upload image files and print one link per file, in the order given.

    With --picgo-compat and no files, uploads the clipboard, as `picgo upload` does.
    """
    if not files and not picgo_compat:
        raise typer.BadParameter(
            "give one or more image files (to upload the clipboard: b2img paste)",
            param_hint="FILE",
        )
    options = RunOptions(
        profile, link_format, json_out, jobs, dry_run, copy, picgo_compat, on_conflict, force
    )
    if files:
        paths = list(files)
        run_upload("upload", options, lambda: [Pending.from_path(p) for p in paths])
    else:
        run_upload("upload", options, lambda: clipboard_items(None))
