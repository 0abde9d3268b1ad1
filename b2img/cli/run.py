"""The options `upload` and `paste` share, and their bridge to the typer-free ``uploading``."""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from b2img.service import Pending

from . import uploading
from .uploading import RunOptions, UsageProblem, open_history

__all__ = ["RunOptions", "open_history", "run_upload", "usage_errors"]

FormatOption = Annotated[
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
]
JobsOption = Annotated[
    int, typer.Option("--jobs", "-j", min=1, max=64, metavar="N", help="Concurrent uploads.")
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", "-n", help="Print the keys and links; upload nothing.")
]
CopyOption = Annotated[
    bool, typer.Option("--copy/--no-copy", help="Copy the links to the clipboard.")
]
OnConflictOption = Annotated[
    str | None,
    typer.Option(
        "--on-conflict",
        metavar="POLICY",
        help="When the key holds different content: rename (add a short hash), error, or "
        "overwrite. Default: the profile's on_conflict (rename).",
        show_default=False,
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force", help="Check the store even when the history already knows the content."
    ),
]
KeepMetadataOption = Annotated[
    bool,
    typer.Option(
        "--keep-metadata",
        help="Upload EXIF/XMP/IPTC and comments too (by default they are removed, losslessly).",
    ),
]
ConvertOption = Annotated[
    str | None,
    typer.Option(
        "--convert",
        metavar="FORMAT",
        help="Convert to webp, avif, jpeg or png (kept only if smaller, see --force-convert).",
        show_default=False,
    ),
]
QualityOption = Annotated[
    int | None,
    typer.Option(
        "--quality",
        min=1,
        max=100,
        metavar="N",
        help="Encoder quality for JPEG/WebP/AVIF.",
        show_default=False,
    ),
]
MaxWidthOption = Annotated[
    int | None,
    typer.Option(
        "--max-width",
        min=1,
        metavar="PX",
        help="Shrink wider images (keeps the aspect ratio; never enlarges).",
        show_default=False,
    ),
]
MaxHeightOption = Annotated[
    int | None,
    typer.Option(
        "--max-height", min=1, metavar="PX", help="Shrink taller images.", show_default=False
    ),
]
ForceConvertOption = Annotated[
    bool, typer.Option("--force-convert", help="Keep a conversion even if it is larger.")
]
AllowSvgOption = Annotated[
    bool,
    typer.Option(
        "--allow-svg",
        help="Upload SVG files, served as downloads "
        "(Content-Disposition: attachment) since they can carry scripts.",
    ),
]
AnyFileOption = Annotated[
    bool, typer.Option("--any-file", help="Upload files that are not images, as they are.")
]
PicgoOption = Annotated[
    bool,
    typer.Option(
        "--picgo-compat",
        help="Print like PicGo-Core ('[PicGo SUCCESS]:' then the URLs) for editor plugins "
        "that run 'picgo upload'.",
    ),
]


def usage_errors(call: Callable[[], int]) -> None:
    """Run ``call``; its usage problems become typer's usage errors, its code the exit status."""
    try:
        code = call()
    except UsageProblem as problem:
        raise typer.BadParameter(problem.message, param_hint=problem.param_hint) from None
    if code:
        raise typer.Exit(code)


def run_upload(
    command: str, options: RunOptions, gather: Callable[[], Sequence["Pending"]]
) -> None:
    """Upload what ``gather`` returns (the clipboard's content) and exit with the result."""
    usage_errors(lambda: uploading.run_upload(command, options, gather))
