"""Options shared by several commands, and the config loading every command does the same way."""

import sys
from typing import Annotated

import typer

from b2img.errors import B2ImgError, ExitCode

from . import output
from .uploading import load_config

__all__ = ["JsonOption", "ProfileOption", "confirm", "load_config", "sub_app"]

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        metavar="NAME",
        envvar="B2IMG_PROFILE",
        help="Profile to use (default: default_profile in the config).",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document instead of text.")
]


def sub_app(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)


def confirm(question: str, *, yes_command: str) -> None:
    """Ask ``question`` on the terminal; without one, refuse and name the --yes form."""
    if not sys.stdin.isatty():
        output.error(
            B2ImgError(f"{question} needs confirmation, and there is no terminal to ask on"),
            hint=False,
        )
        output.show_hint(yes_command)
        raise typer.Exit(int(ExitCode.USAGE))
    if not typer.confirm(question, default=False, err=True):
        output.note("Nothing was changed.")
        raise typer.Exit(int(ExitCode.UNEXPECTED))
