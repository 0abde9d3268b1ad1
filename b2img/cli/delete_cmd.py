"""`b2img delete`: remove uploaded objects for good."""

from typing import Annotated

import typer

from . import output
from .common import JsonOption, ProfileOption, confirm, load_config
from .run import open_history


def delete(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Links or object keys to delete.", metavar="URL|KEY", show_default=False
        ),
    ],
    profile: ProfileOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Delete uploads for good: on S3 every version, so they stop costing storage; on SM.MS with
    the delete hash kept in the history; in a local folder, the file."""
    from b2img.backends import make_uploader
    from b2img.service import Deleted, delete_objects

    chosen = load_config().profile(profile)
    if not yes:
        for target in targets:
            output.note(f"  {target}")
        every = ", every version" if chosen.backend == "s3" else ""
        confirm(
            f"Delete {len(targets)} object(s) from {chosen.describe_destination()}{every}?",
            yes_command="b2img delete --yes …",
        )
    history = open_history()
    results = []
    code = 0
    for outcome in delete_objects(
        targets,
        chosen,
        uploader=lambda: make_uploader(chosen, max_connections=1),
        history=history,
    ):
        if isinstance(outcome, Deleted):
            results.append(
                {
                    "target": outcome.target,
                    "ok": True,
                    "key": outcome.key,
                    "versions": outcome.versions,
                }
            )
            output.note(f"deleted {outcome.key} ({outcome.versions} version(s))")
            if not json_out:
                output.payload(outcome.key)
            continue
        code = code or int(outcome.error.exit_code)
        results.append(
            {"target": outcome.source, "ok": False, "error": output.error_json(outcome.error)}
        )
        output.error(outcome.error, subject=outcome.source)
    if json_out:
        output.emit_json(
            {
                "version": output.JSON_VERSION,
                "command": "delete",
                "profile": chosen.name,
                "ok": code == 0,
                "results": results,
            }
        )
    if code:
        raise typer.Exit(code)
