"""The command-line interface: parse, call the core, render. The only user of typer and rich.

The Typer application lives in ``application``; this module stays light, so that a plain
upload handed to a running b2img server (see ``fastlane``) starts without importing typer.
"""

import sys
from typing import Any

from b2img import __version__
from b2img.errors import ExitCode


def main() -> None:
    from . import fastlane

    code = fastlane.upload(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from .application import app

    app(prog_name="b2img")
    sys.exit(0)


def picgo_main() -> None:
    """``b2img-picgo``: answers ``picgo upload|u [FILE…]`` as PicGo-Core does, for editor plugins
    that run PicGo-Core (nvim-picgo, Obsidian's PicGo-Core mode). Without files it uploads the
    clipboard, like ``picgo upload``."""
    args = sys.argv[1:]
    if args[:1] in (["-v"], ["--version"], ["-V"]):
        print(__version__, flush=True)
        sys.exit(0)
    if args[:1] not in (["upload"], ["u"]):
        print("[PicGo ERROR]: b2img-picgo only answers 'upload' (or 'u') [FILE…]", flush=True)
        sys.exit(int(ExitCode.USAGE))
    from .application import app

    app(args=["upload", "--picgo-compat", *args[1:]], prog_name="b2img-picgo")
    sys.exit(0)


def __getattr__(name: str) -> Any:
    if name == "app":  # `from b2img.cli import app`, as the tests and completions use it
        from .application import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
