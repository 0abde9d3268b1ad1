"""`b2img paste`: the clipboard's image (or copied image files) in, links out."""

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from b2img.service import Pending

from . import output
from .common import JsonOption, ProfileOption
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
    keep_metadata: KeepMetadataOption = False,
    convert: ConvertOption = None,
    quality: QualityOption = None,
    max_width: MaxWidthOption = None,
    max_height: MaxHeightOption = None,
    force_convert: ForceConvertOption = False,
    allow_svg: AllowSvgOption = False,
    any_file: AnyFileOption = False,
) -> None:
    """Upload the image on the clipboard, or the image files copied in a file manager."""
    options = RunOptions.collect(locals())
    run_upload("paste", options, lambda: clipboard_items(name, options))


def clipboard_items(name: str | None, options: RunOptions) -> list["Pending"]:
    from b2img.clipboard import read_clipboard
    from b2img.service import Pending
    from b2img.sources import clipboard_source

    content = read_clipboard()
    if content.files:
        if name:
            output.warn("--name applies to a clipboard image; copied files keep their names")
        return [
            Pending.from_path(path, allow_svg=options.allow_svg, any_file=options.any_file)
            for path in content.files
        ]
    return [Pending.from_source(clipboard_source(content.image, name=name))]
