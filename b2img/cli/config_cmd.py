"""`b2img config …`: where the config lives, and whether it is right."""

from typing import Annotated

import typer

from b2img import paths
from b2img.errors import B2ImgError, ConfigError

from . import output
from .common import JsonOption, load_config, sub_app

app = sub_app("Show where the config file is and check it.")


@app.command("path")
def path() -> None:
    """Print the config file's path (it may not exist yet)."""
    output.payload(str(paths.config_path()))


@app.command("paths")
def all_paths(json_out: JsonOption = False) -> None:
    """Print every place b2img keeps files: the config, the history, the cache."""
    from b2img.history import db_path

    found = {"config": paths.config_path(), "history": db_path(), "cache": paths.cache_dir()}
    if json_out:
        output.emit_json({"version": output.JSON_VERSION, **{k: str(v) for k, v in found.items()}})
        return
    for name, where in found.items():
        output.payload(f"{name}\t{where}")


@app.command("check")
def check(
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Check only this profile.", show_default=False),
    ] = None,
) -> None:
    """Validate the config and resolve each profile's secret (no network requests)."""
    config = load_config()
    names = [config.profile(profile).name] if profile else list(config.profiles)
    failed: B2ImgError | None = None
    for name in names:
        sources = []
        try:
            for field, secret in config.profiles[name].secrets():
                secret.resolve(field=field, profile=name)
                sources.append(f"{field} from {secret.describe()}")
        except B2ImgError as exc:
            failed = failed or exc
            output.payload(f"✗ {name}: {exc.message}")
            continue
        output.payload(f"✓ {name}: ok ({'; '.join(sources) or 'no secret needed'})")
    if failed:
        raise ConfigError(
            f"{paths.display(config.path)} has problems", hint=failed.hint or "see above"
        )
    if not names:
        output.note("The config is valid but has no profiles. Hint: b2img init")
