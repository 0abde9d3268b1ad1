"""`b2img md`: upload a post's local images and rewrite its links."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import output
from .common import ProfileOption, load_config
from .run import JobsOption


def md(
    files: Annotated[
        list[Path],
        typer.Argument(help="Markdown files.", metavar="FILE", show_default=False, readable=False),
    ],
    profile: ProfileOption = None,
    vault: Annotated[
        Path | None,
        typer.Option(
            help="Obsidian vault: ![[name.png]] embeds are found by name in it.",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option(
            help="What /root-relative paths are relative to, e.g. Hugo's static/.",
            show_default=False,
            file_okay=False,
        ),
    ] = None,
    include_remote: Annotated[
        bool, typer.Option("--include-remote", help="Also re-host http(s) images (downloaded).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Print a diff and the uploads; change nothing.")
    ] = False,
    output_to: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE|-",
            show_default=False,
            help="Write the result here (- for stdout) instead of in place (one FILE).",
        ),
    ] = None,
    backup: Annotated[
        bool, typer.Option("--backup/--no-backup", help="Keep FILE.bak when rewriting in place.")
    ] = True,
    jobs: JobsOption = 8,
) -> None:
    """Upload the local images of Markdown posts and rewrite exactly those links."""
    from b2img.backends import make_uploader
    from b2img.links import LinkFormat
    from b2img.posts import PostOptions, process, write_atomically
    from b2img.service import UploadPlan

    from .run import open_history

    if output_to and len(files) != 1:
        raise typer.BadParameter("works with one FILE only", param_hint="--output")
    chosen = load_config().profile(profile)
    plan = UploadPlan(
        chosen, LinkFormat.parse("url"), on_conflict=chosen.on_conflict, image=chosen.image
    )
    options = PostOptions(vault=vault, root=root, include_remote=include_remote)
    report = process(
        files,
        plan,
        options,
        uploader=None if dry_run else (lambda: make_uploader(chosen, max_connections=jobs)),
        history=open_history(),
        jobs=jobs,
    )
    code = 0
    changed = 0
    if dry_run:
        from b2img.outcomes import Uploaded

        for source, outcome in report.outcomes.items():
            if isinstance(outcome, Uploaded):
                verb = "already uploaded" if outcome.reused else "would upload"
                output.note(f"{verb}: {source} → {outcome.key}")
    for post in report.posts:
        for ref, why in post.missing:
            output.warn(f"{post.path}:{ref.line}: {ref.target}: {why} (left as it is)")
        for ref, error in post.failed:
            output.error(error, hint=False, subject=f"{post.path}:{ref.line}")
            code = code or int(error.exit_code)
        if not post.changed:
            continue
        changed += 1
        if dry_run:
            output.payload(post.diff().rstrip("\n"))
        elif output_to == "-":
            sys.stdout.write(post.new_text)
        elif output_to:
            Path(output_to).write_bytes(post.new_text.encode("utf-8"))
        else:
            write_atomically(post.path, post.new_text, backup=backup)
    if output_to == "-" and not changed:
        sys.stdout.write(report.posts[0].text)
    verb = "would change" if dry_run else "changed"
    missing = sum(len(p.missing) for p in report.posts)
    output.note(
        f"{changed} file(s) {verb}; images: {report.uploaded} "
        f"{'to upload' if dry_run else 'uploaded'}, {report.reused} reused, "
        f"{missing} missing, {len(report.failures)} failed"
    )
    if code:
        raise typer.Exit(code)
