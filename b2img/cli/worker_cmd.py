"""`b2img worker init`: a ready Cloudflare Worker project that serves a private bucket."""

from pathlib import Path
from typing import Annotated

import typer

from b2img import paths

from . import output
from .common import ProfileOption, load_config, sub_app

app = sub_app("Make the Cloudflare Worker that serves a private bucket on your domain.")


@app.command("init")
def init(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Where to write the project (default: ./b2img-worker).",
            metavar="[DIR]",
            show_default=False,
        ),
    ] = Path("b2img-worker"),
    profile: ProfileOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace files you edited since b2img wrote them.")
    ] = False,
) -> None:
    """Write a Worker project (code, package.json, wrangler.toml, README) for an S3 profile.

    No secret is written: the README says how to give the Worker a read-only key.
    """
    from b2img.worker import project

    chosen = load_config().profile(profile)
    written = project.write(folder, project.render(chosen), force=force)
    for item in written:
        output.note(f"{item.action:>9}  {paths.display(folder / item.path)}")
    if not project.custom_domain(chosen):
        output.warn(
            f"profile '{chosen.name}' has no https:// url_prefix host, so wrangler.toml names "
            "no custom domain; add routes there"
        )
    output.note(
        f"Next: cd {folder} && npm install && npx wrangler secret put B2_APPLICATION_KEY_ID "
        "&& npx wrangler secret put B2_APPLICATION_KEY && npx wrangler deploy "
        f"(see {folder / 'README.md'})"
    )
    output.payload(str(folder))
