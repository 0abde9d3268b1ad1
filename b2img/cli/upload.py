"""`b2img upload`: files in, links out."""

from pathlib import Path
from typing import Annotated

import typer

from .common import JsonOption, ProfileOption
from .paste import clipboard_items
from .run import (
    AllowSvgOption,
    AnyFileOption,
    ConvertOption,
    CopyOption,
    DryRunOption,
    ForceConvertOption,
    ForceOption,
    FormatOption,
    JobsOption,
    KeepMetadataOption,
    MaxHeightOption,
    MaxWidthOption,
    OnConflictOption,
    PicgoOption,
    QualityOption,
    RunOptions,
    run_upload,
    usage_errors,
)
from .uploading import upload_files


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
    keep_metadata: KeepMetadataOption = False,
    convert: ConvertOption = None,
    quality: QualityOption = None,
    max_width: MaxWidthOption = None,
    max_height: MaxHeightOption = None,
    force_convert: ForceConvertOption = False,
    allow_svg: AllowSvgOption = False,
    any_file: AnyFileOption = False,
) -> None:
    """Upload image files and print one link per file, in the order given.

    With --picgo-compat and no files, uploads the clipboard, as `picgo upload` does.
    """
    if not files and not picgo_compat:
        raise typer.BadParameter(
            "give one or more image files (to upload the clipboard: b2img paste)",
            param_hint="FILE",
        )
    options = RunOptions.collect(locals())
    if files:
        chosen = files
        usage_errors(lambda: upload_files(options, chosen))
    else:
        run_upload("upload", options, lambda: clipboard_items(None, options))
