"""`b2img profile …`: manage profiles without editing the file by hand."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from b2img import paths
from b2img.defaults import DEFAULT_CACHE_CONTROL, DEFAULT_UPLOAD_PATH
from b2img.errors import ConfigError

if TYPE_CHECKING:
    from b2img.config import Profile

from . import output
from .common import JsonOption, confirm, load_config, sub_app

app = sub_app("Add, list, show, remove profiles and choose the default.")

NameArg = Annotated[str, typer.Argument(help="Profile name.", show_default=False, metavar="NAME")]


@app.command("list")
def list_profiles(json_out: JsonOption = False) -> None:
    """List profiles; the default is marked with '*'."""
    config = load_config()
    if json_out:
        output.emit_json(
            {
                "version": output.JSON_VERSION,
                "default_profile": config.default_profile,
                "profiles": [describe(p) for p in config.profiles.values()],
            }
        )
        return
    if not config.profiles:
        output.note("No profiles yet. Hint: b2img init")
        return
    width = max(len(name) for name in config.profiles)
    for name, prof in config.profiles.items():
        mark = "*" if name == config.default_profile else " "
        target = prof.url_prefix or prof.s3.endpoint
        output.payload(f"{mark} {name:<{width}}  {prof.backend}  {prof.s3.bucket}  {target}")


@app.command("show")
def show(name: NameArg, json_out: JsonOption = False) -> None:
    """Show a profile's settings. Secrets are never shown, only where they come from."""
    prof = load_config().profile(name)
    info = describe(prof)
    if json_out:
        output.emit_json({"version": output.JSON_VERSION, **info})
        return
    secret = prof.s3.secret_access_key.describe()
    rows = {**info, "secret_access_key": secret}
    if not prof.s3.region:
        rows["region"] = f"{info['region']} (derived from the endpoint)"
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        output.payload(f"{key:<{width}}  {_plain(value)}")


@app.command("add")
def add(
    name: NameArg,
    endpoint: Annotated[
        str,
        typer.Option(help="S3 endpoint URL, e.g. https://s3.us-west-004.backblazeb2.com."),
    ],
    bucket: Annotated[str, typer.Option(help="Bucket name.")],
    access_key_id: Annotated[str, typer.Option(help="Access key ID (B2: keyID).")],
    secret_access_key_env: Annotated[
        str | None,
        typer.Option(help="Read the secret from this environment variable (recommended)."),
    ] = None,
    secret_access_key_command: Annotated[
        str | None,
        typer.Option(help="Read the secret from this command's output, e.g. 'pass show b2'."),
    ] = None,
    secret_access_key_stdin: Annotated[
        bool,
        typer.Option(
            "--secret-access-key-stdin",
            help="Read the secret from standard input and store it in the config.",
        ),
    ] = False,
    backend: Annotated[str, typer.Option(help="Storage backend.")] = "s3",
    region: Annotated[str, typer.Option(help="Region; empty: derived from the endpoint.")] = "",
    upload_path: Annotated[
        str, typer.Option(help="Key template, e.g. {year}/{month}/{md5}.{extName}.")
    ] = DEFAULT_UPLOAD_PATH,
    url_prefix: Annotated[
        str, typer.Option(help="Custom domain for links, e.g. https://img.example.com.")
    ] = "",
    url_suffix: Annotated[str, typer.Option(help="Text appended to every URL.")] = "",
    path_style: Annotated[
        bool, typer.Option("--path-style/--virtual-host", help="S3 addressing style.")
    ] = False,
    cache_control: Annotated[
        str, typer.Option(help="Cache-Control stored with each object.")
    ] = DEFAULT_CACHE_CONTROL,
    link_format: Annotated[
        str, typer.Option(help="markdown, url, html, bbcode or a custom template.")
    ] = "markdown",
    acl: Annotated[str, typer.Option(help="Canned ACL to send (empty: none).")] = "",
    make_default: Annotated[
        bool, typer.Option("--default", help="Make it the default profile.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing profile.")] = False,
) -> None:
    """Add a profile from options (no prompts; see `b2img init` for the guided way)."""
    secret = _secret_from_options(
        secret_access_key_env, secret_access_key_command, secret_access_key_stdin
    )
    table: dict[str, Any] = {
        "backend": backend,
        "endpoint": endpoint,
        "region": region,
        "bucket": bucket,
        "access_key_id": access_key_id,
        "secret_access_key": secret,
        "upload_path": upload_path,
        "url_prefix": url_prefix,
        "url_suffix": url_suffix,
        "path_style": path_style,
        "cache_control": cache_control,
        "link_format": link_format,
        "acl": acl,
    }
    defaults = {"region": "", "url_suffix": "", "path_style": False, "acl": ""}
    table = {k: v for k, v in table.items() if k not in defaults or v != defaults[k]}
    path = paths.config_path()
    from b2img import config as config_mod

    saved = config_mod.save_profile(
        name, table, replace=force, make_default=make_default, path=path
    )
    default = " (default)" if saved.default_profile == name else ""
    output.note(f"Saved profile '{name}'{default} to {paths.display(path)}")


@app.command("remove")
def remove(
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a profile from the config."""
    path = paths.config_path()
    load_config().profile(name)
    if not yes:
        confirm(f"Remove profile '{name}'?", yes_command=f"b2img profile remove {name} --yes")
    from b2img import config as config_mod

    config_mod.remove_profile(name, path=path)
    output.note(f"Removed profile '{name}' from {paths.display(path)}")


@app.command("default")
def default(name: NameArg) -> None:
    """Make a profile the default."""
    from b2img import config as config_mod

    path = paths.config_path()
    config_mod.set_default(name, path=path)
    output.note(f"Default profile is now '{name}'")


def describe(prof: "Profile") -> dict[str, Any]:
    """A profile as plain data, with the secret replaced by where it comes from."""
    from b2img.backends.s3 import derive_region

    s3 = prof.s3
    secret = s3.secret_access_key
    return {
        "name": prof.name,
        "backend": prof.backend,
        "endpoint": s3.endpoint,
        "region": derive_region(s3.endpoint, s3.region),
        "bucket": s3.bucket,
        "access_key_id": s3.access_key_id,
        "secret_access_key": {"source": secret.kind}
        | ({"name": secret.value} if secret.kind == "env" else {})
        | ({"command": secret.value} if secret.kind == "command" else {}),
        "upload_path": prof.upload_path.source,
        "url_prefix": prof.url_prefix,
        "url_suffix": prof.url_suffix,
        "path_style": s3.path_style,
        "cache_control": s3.cache_control,
        "link_format": prof.link_format.spec,
        "acl": s3.acl,
        "on_conflict": prof.on_conflict,
        "image": {
            "strip_metadata": prof.image.strip_metadata,
            "convert": prof.image.convert,
            "quality": prof.image.quality,
            "max_width": prof.image.max_width,
            "max_height": prof.image.max_height,
        },
    }


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        shown = {k: _plain(v) for k, v in value.items() if v not in (None, "")}
        return ", ".join(f"{k}={v}" for k, v in shown.items())
    return str(value) if value != "" else "(empty)"


def _secret_from_options(env: str | None, command: str | None, stdin: bool) -> Any:
    chosen = [x for x in (env, command, stdin or None) if x]
    if len(chosen) != 1:
        raise typer.BadParameter(
            "give exactly one of --secret-access-key-env VAR, "
            "--secret-access-key-command CMD, --secret-access-key-stdin",
            param_hint="secret",
        )
    if env:
        return {"env": env}
    if command:
        return {"command": command}
    value = sys.stdin.readline().strip()
    if not value:
        raise ConfigError("no secret on standard input", hint="pipe the secret into the command")
    return value


@app.command("import-picgo")
def import_picgo(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="PicGo-Core's config.json or the PicGo/PicList app's data.json "
            "(default: the first one found).",
            show_default=False,
            metavar="[PATH]",
            readable=False,
        ),
    ] = None,
    secret_env: Annotated[
        str | None,
        typer.Option(
            metavar="VAR",
            help="Keep the secret out of b2img's config: read it from this environment variable.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace profiles that exist.")] = False,
) -> None:
    """Create profiles from PicGo's S3 uploaders (PicGo-Core, the PicGo app, PicList)."""
    from b2img import config as config_mod
    from b2img import picgo

    source = path or next((p for p in picgo.candidates() if p.is_file()), None)
    if source is None:
        looked = ", ".join(paths.display(p) for p in picgo.candidates())
        raise ConfigError(
            f"no PicGo configuration found (looked in {looked})",
            hint="pass its path: b2img profile import-picgo PATH",
        )
    imported = picgo.to_profiles(picgo.read(source), secret_env=secret_env)
    if not imported:
        raise ConfigError(
            f"{paths.display(source)} configures no uploader b2img can import",
            hint="b2img imports aws-s3 (and PicList's aws-s3-plist) uploaders",
        )
    config_path = paths.config_path()
    try:
        existing = set(config_mod.load(config_path).profiles)
    except ConfigError:
        existing = set()
    done = 0
    for item in imported:
        if not item.name:
            output.warn(f"{item.source}: " + "; ".join(item.notes))
            continue
        if item.name in existing and not force:
            output.warn(f"{item.source}: profile '{item.name}' exists; kept it (--force replaces)")
            continue
        try:
            config_mod.save_profile(
                item.name, item.table, replace=force, make_default=False, path=config_path
            )
        except ConfigError as exc:
            output.warn(f"{item.source}: not imported: {exc.message}")
            continue
        done += 1
        output.payload(item.name)
        output.note(f"imported '{item.name}' from {item.source}")
        for note in item.notes:
            output.note(f"  {item.name}: {note}")
    if not done:
        raise ConfigError("no profile was imported", hint="see the warnings above")
    output.note(f"Profiles are in {paths.display(config_path)}; check one: b2img profile show NAME")
