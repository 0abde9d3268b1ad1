"""What `upload` and `paste` share: choosing the profile, uploading, rendering the results."""

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from b2img.defaults import ON_CONFLICT
from b2img.errors import B2ImgError, ConfigError

if TYPE_CHECKING:
    from b2img.backends import Uploader
    from b2img.history import History
    from b2img.links import LinkFormat
    from b2img.pipeline import ImageOptions
    from b2img.service import Pending

from . import output
from .common import load_config

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


@dataclass(frozen=True)
class RunOptions:
    profile: str | None
    link_format: str | None
    json_out: bool
    jobs: int
    dry_run: bool
    copy: bool
    picgo: bool
    on_conflict: str | None = None
    force: bool = False
    keep_metadata: bool = False
    convert: str | None = None
    quality: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    force_convert: bool = False
    allow_svg: bool = False
    any_file: bool = False

    @classmethod
    def collect(cls, values: dict[str, Any]) -> "RunOptions":
        """The options of `upload` or `paste`, from the parameters typer passed it."""
        names = {f.name for f in dataclasses.fields(cls)} - {"picgo"}
        return cls(picgo=values["picgo_compat"], **{k: values[k] for k in names})

    def plain(self) -> bool:
        """No option that changes how files are processed or stored (a server can take it)."""
        return not (
            self.dry_run
            or self.force
            or self.on_conflict
            or self.keep_metadata
            or self.convert
            or self.quality
            or self.max_width
            or self.max_height
            or self.force_convert
            or self.allow_svg
            or self.any_file
        )

    def image(self, defaults: "ImageOptions") -> "ImageOptions":
        """The profile's [image] defaults with this command's options on top."""
        from b2img.pipeline import CONVERT_TO, ImageOptions

        convert = defaults.convert if self.convert is None else self.convert.lower()
        if convert and convert not in CONVERT_TO:
            raise typer.BadParameter(
                f"'{convert}' is not one of webp, avif, jpeg, png", param_hint="--convert"
            )
        return ImageOptions(
            strip_metadata=defaults.strip_metadata and not self.keep_metadata,
            convert=convert,
            quality=self.quality or defaults.quality,
            max_width=self.max_width or defaults.max_width,
            max_height=self.max_height or defaults.max_height,
            force_convert=self.force_convert,
        )


def run_upload(
    command: str,
    options: RunOptions,
    gather: Callable[[], Sequence["Pending"]],
    paths: Sequence[Path] = (),
) -> None:
    """Upload what ``gather`` returns and render it; raises typer.Exit with the exit code.

    ``paths`` (plain files to upload) may be handed to a running b2img server instead.
    """
    try:
        code = _run(command, options, gather, paths)
    except B2ImgError as exc:
        if options.picgo:
            output.payload(f"[PicGo ERROR]: {exc}")
        raise
    if code:
        raise typer.Exit(code)


def _run(
    command: str,
    options: RunOptions,
    gather: Callable[[], Sequence["Pending"]],
    paths: Sequence[Path],
) -> int:
    from b2img.links import LinkFormat

    from .results import render_outcomes

    if options.picgo and options.json_out:
        raise typer.BadParameter("cannot be combined with --json", param_hint="--picgo-compat")
    config = load_config()
    chosen = config.profile(options.profile)
    if options.picgo:
        fmt = LinkFormat.parse("url")
    elif options.link_format:
        fmt = _link_format(options.link_format)
    else:
        fmt = chosen.link_format
    policy = options.on_conflict or chosen.on_conflict
    if policy not in ON_CONFLICT:
        raise typer.BadParameter(
            f"'{policy}' is not one of {', '.join(ON_CONFLICT)}", param_hint="--on-conflict"
        )
    style: Literal["links", "json", "picgo"] = (
        "picgo" if options.picgo else "json" if options.json_out else "links"
    )
    if paths and os.environ.get("B2IMG_SERVER") and options.plain():
        from . import handoff

        handed = handoff.upload(chosen.name, paths, fmt)
        if handed is not None:
            return render_outcomes(
                iter(handed),
                command=command,
                profile=chosen.name,
                style=style,
                copy=options.copy,
                dry_run=False,
            )
    from b2img.backends import make_uploader
    from b2img.service import UploadPlan, upload_pending

    items = gather()
    plan = UploadPlan(
        chosen, fmt, on_conflict=policy, force=options.force, image=options.image(chosen.image)
    )
    history = open_history()

    def factory() -> "Uploader":
        return make_uploader(chosen, max_connections=options.jobs)

    with output.ProgressBar(total=len(items), label="Uploading") as bar:
        outcomes = upload_pending(
            items,
            plan,
            uploader=None if options.dry_run else factory,
            history=history,
            jobs=options.jobs,
            progress=bar.bytes_sent,
        )
        return render_outcomes(
            output.with_progress(outcomes, bar),
            command=command,
            profile=chosen.name,
            style=style,
            copy=options.copy,
            dry_run=options.dry_run,
        )


def open_history() -> "History | None":
    """The upload history; a history that cannot be opened is a warning, not a failure."""
    from b2img.history import History

    try:
        return History()
    except B2ImgError as exc:
        output.warn(f"{exc} — uploading without the history")
        return None


def _link_format(spec: str) -> "LinkFormat":
    from b2img.links import LinkFormat

    try:
        return LinkFormat.parse(spec)
    except ConfigError as exc:
        raise typer.BadParameter(f"{exc.message}. {exc.hint}", param_hint="--format") from None
