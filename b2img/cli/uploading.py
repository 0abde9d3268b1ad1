"""What `upload` and `paste` share: choosing the profile, uploading, rendering the results.

Nothing here imports typer, so that a plain `b2img upload FILE…` can run without it (see
``fastlane``); usage problems are raised as ``UsageProblem`` and each caller reports them its way.
"""

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from b2img.defaults import ON_CONFLICT
from b2img.errors import B2ImgError, ConfigError

if TYPE_CHECKING:
    from b2img.backends import Uploader
    from b2img.config import Config
    from b2img.history import History
    from b2img.links import LinkFormat
    from b2img.pipeline import ImageOptions
    from b2img.service import Pending

from . import output


class UsageProblem(Exception):
    """An option's value is unusable: a usage error (exit 2), reported by the caller."""

    def __init__(self, message: str, *, param_hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.param_hint = param_hint


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
            raise UsageProblem(
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
) -> int:
    """Upload what ``gather`` returns and render it; return the exit code.

    ``paths`` (plain files to upload) may be handed to a running b2img server instead.
    """
    try:
        return _run(command, options, gather, paths)
    except B2ImgError as exc:
        if options.picgo:
            output.payload(f"[PicGo ERROR]: {exc}")
        raise


def upload_files(options: RunOptions, files: Sequence[Path]) -> int:
    """`b2img upload FILE…`: the files, in the order given."""
    from b2img.service import Pending

    paths = list(files)
    return run_upload(
        "upload",
        options,
        lambda: [
            Pending.from_path(p, allow_svg=options.allow_svg, any_file=options.any_file)
            for p in paths
        ],
        paths,
    )


def _run(
    command: str,
    options: RunOptions,
    gather: Callable[[], Sequence["Pending"]],
    paths: Sequence[Path],
) -> int:
    from b2img.links import LinkFormat

    from .results import render_outcomes

    if options.picgo and options.json_out:
        raise UsageProblem("cannot be combined with --json", param_hint="--picgo-compat")
    asked = _link_format(options.link_format) if options.link_format else None
    config = load_config()
    chosen = config.profile(options.profile)
    fmt = LinkFormat.parse("url") if options.picgo else asked or chosen.link_format
    policy = options.on_conflict or chosen.on_conflict
    if policy not in ON_CONFLICT:
        raise UsageProblem(
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
        raise UsageProblem(f"{exc.message}. {exc.hint}", param_hint="--format") from None


def load_config() -> "Config":
    """Load the config and show its warnings (e.g. a readable file holding a secret)."""
    from b2img import config as config_mod
    from b2img import paths

    config = config_mod.load(paths.config_path())
    for warning in config.warnings:
        output.warn(warning)
    return config
