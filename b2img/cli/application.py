"""The Typer application: every command, and the one boundary where errors become exit codes."""

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from b2img import __version__

from . import (
    config_cmd,
    delete_cmd,
    doctor_cmd,
    history_cmd,
    init_cmd,
    md_cmd,
    output,
    paste,
    profile,
    server_cmd,
    upload,
    worker_cmd,
)


class BoundaryGroup(TyperGroup):
    """The one place where an error becomes a message and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if type(exc).__module__.startswith("typer"):
                raise  # usage errors and exits: typer reports them itself
            raise typer.Exit(output.failure(exc)) from None
        except KeyboardInterrupt as exc:
            raise typer.Exit(output.failure(exc)) from None


def _version(value: bool) -> None:
    if value:
        output.payload(f"b2img {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=BoundaryGroup,
    name="b2img",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Upload images to your own bucket (Backblaze B2, any S3), SM.MS or a folder, and print
    the Markdown link.

    Start with `b2img init`, then `b2img upload pic.png`.
    """


app.command(name="upload")(upload.upload)
app.command(name="paste")(paste.paste)
app.command(name="md")(md_cmd.md)
app.command(name="delete")(delete_cmd.delete)
app.command(name="server")(server_cmd.server)
app.command(name="doctor")(doctor_cmd.doctor)
app.add_typer(history_cmd.app, name="history")
app.command(name="init")(init_cmd.init)
app.add_typer(profile.app, name="profile")
app.add_typer(config_cmd.app, name="config")
app.add_typer(worker_cmd.app, name="worker")
