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
    from b2img.credentials import SecretRef

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
        output.payload(f"{mark} {name:<{width}}  {prof.backend}  {_summary(prof)}")


def _summary(prof: "Profile") -> str:
    from b2img.config import S3Settings, SmmsSettings

    store = prof.store
    if isinstance(store, S3Settings):
        return f"{store.bucket}  {prof.url_prefix or store.endpoint}"
    if isinstance(store, SmmsSettings):
        return store.api_base
    return f"{store.directory}  {prof.url_prefix}"


@app.command("show")
def show(name: NameArg, json_out: JsonOption = False) -> None:
    """Show a profile's settings. Secrets are never shown, only where they come from."""
    from b2img.config import LocalSettings, S3Settings

    prof = load_config().profile(name)
    info = describe(prof)
    if json_out:
        output.emit_json({"version": output.JSON_VERSION, **info})
        return
    rows = dict(info)
    for field, secret in prof.secrets():
        rows[field] = secret.describe()
    if isinstance(prof.store, S3Settings) and not prof.store.region:
        rows["region"] = f"{info['region']} (derived from the endpoint)"
    if isinstance(prof.store, LocalSettings):
        rows["directory"] = f"{prof.store.directory} (here: {paths.display(prof.store.root())})"
    width = max(len(k) for k in rows)
    for key, value in rows.items():
        output.payload(f"{key:<{width}}  {_plain(value)}")


def _opt(help_text: str, *names: str) -> Any:
    """An option without a default shown (the backend decides what applies)."""
    return typer.Option(*names, help=help_text, show_default=False)


# Which options belong to which backend: an option of another backend is a usage error.
BACKEND_OPTIONS = {
    "s3": (
        "endpoint", "bucket", "access_key_id", "secret_access_key", "region", "path_style",
        "cache_control", "acl",
    ),
    "smms": ("token", "api_base"),
    "local": ("directory",),
}  # fmt: skip


@app.command("add")
def add(
    name: NameArg,
    backend: Annotated[str, typer.Option(help="Storage backend: s3, smms or local.")] = "s3",
    endpoint: Annotated[
        str | None, _opt("s3: endpoint URL, e.g. https://s3.us-west-004.backblazeb2.com.")
    ] = None,
    bucket: Annotated[str | None, _opt("s3: bucket name.")] = None,
    access_key_id: Annotated[str | None, _opt("s3: access key ID (B2: keyID).")] = None,
    secret_access_key_env: Annotated[
        str | None, _opt("s3: read the secret from this environment variable (recommended).")
    ] = None,
    secret_access_key_command: Annotated[
        str | None, _opt("s3: read the secret from this command's output, e.g. 'pass show b2'.")
    ] = None,
    secret_access_key_stdin: Annotated[
        bool,
        _opt(
            "s3: read the secret from standard input and store it in the config.",
            "--secret-access-key-stdin",
        ),
    ] = False,
    region: Annotated[str | None, _opt("s3: region (default: derived from the endpoint).")] = None,
    path_style: Annotated[
        bool | None,
        _opt("s3: addressing style (default: virtual host).", "--path-style/--virtual-host"),
    ] = None,
    cache_control: Annotated[
        str | None,
        _opt(f"s3: Cache-Control stored with each object (default: {DEFAULT_CACHE_CONTROL})."),
    ] = None,
    acl: Annotated[str | None, _opt("s3: canned ACL to send (default: none).")] = None,
    token_env: Annotated[
        str | None, _opt("smms: read the API token from this environment variable (recommended).")
    ] = None,
    token_command: Annotated[
        str | None, _opt("smms: read the API token from this command's output.")
    ] = None,
    token_stdin: Annotated[
        bool, _opt("smms: read the token from standard input and store it.", "--token-stdin")
    ] = False,
    api_base: Annotated[
        str | None,
        _opt(
            "smms: API base (default: https://s.ee/api/v1/file; legacy: https://sm.ms/api/v2, "
            "https://smms.app/api/v2)."
        ),
    ] = None,
    directory: Annotated[
        str | None, _opt("local: the folder to copy images into, e.g. ~/blog/static.")
    ] = None,
    upload_path: Annotated[
        str, typer.Option(help="s3, local: key template, e.g. {year}/{month}/{md5}.{extName}.")
    ] = DEFAULT_UPLOAD_PATH,
    url_prefix: Annotated[
        str,
        typer.Option(
            help="s3, local: the start of every link, e.g. https://img.example.com "
            "(local: / for a site's static folder)."
        ),
    ] = "",
    url_suffix: Annotated[str, typer.Option(help="s3, local: text appended to every URL.")] = "",
    link_format: Annotated[
        str, typer.Option(help="markdown, url, html, bbcode or a custom template.")
    ] = "markdown",
    make_default: Annotated[
        bool, typer.Option("--default", help="Make it the default profile.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing profile.")] = False,
) -> None:
    """Add a profile from options (no prompts; see `b2img init` for the guided way).

    s3 needs --endpoint, --bucket, --access-key-id and one --secret-access-key-* option;
    smms needs one --token-* option; local needs --directory and --url-prefix.
    """
    given = {
        "endpoint": endpoint,
        "bucket": bucket,
        "access_key_id": access_key_id,
        "secret_access_key": _secret_from_options(
            "secret-access-key",
            secret_access_key_env,
            secret_access_key_command,
            secret_access_key_stdin,
            required=backend == "s3",
        ),
        "region": region,
        "path_style": path_style or None,
        "cache_control": cache_control,
        "acl": acl,
        "token": _secret_from_options(
            "token", token_env, token_command, token_stdin, required=backend == "smms"
        ),
        "api_base": api_base,
        "directory": directory,
    }
    common = {
        "upload_path": upload_path,
        "url_prefix": url_prefix,
        "url_suffix": url_suffix,
        "link_format": link_format,
    }
    table = profile_table(name, backend, given, common)
    path = paths.config_path()
    from b2img import config as config_mod

    saved = config_mod.save_profile(
        name, table, replace=force, make_default=make_default, path=path
    )
    default = " (default)" if saved.default_profile == name else ""
    output.note(f"Saved profile '{name}'{default} to {paths.display(path)}")


def profile_table(
    name: str, backend: str, given: dict[str, Any], common: dict[str, str]
) -> dict[str, Any]:
    """The profile table for ``backend`` from the options given; another backend's refused."""
    if backend not in BACKEND_OPTIONS:
        raise typer.BadParameter(
            f"'{backend}' is not one of {', '.join(BACKEND_OPTIONS)}", param_hint="--backend"
        )
    own = BACKEND_OPTIONS[backend]
    foreign = [k for k, v in given.items() if v not in (None, "") and k not in own]
    if foreign:
        raise typer.BadParameter(
            f"is not a setting of the {backend} backend",
            param_hint="--" + foreign[0].replace("_", "-"),
        )
    table: dict[str, Any] = {"backend": backend}
    table |= {k: given[k] for k in own if given.get(k) is not None}  # "" is a choice too
    if backend == "s3":
        table.setdefault("cache_control", DEFAULT_CACHE_CONTROL)
        for key in ("endpoint", "bucket", "access_key_id"):
            if not table.get(key):
                raise typer.BadParameter(
                    "the s3 backend needs it", param_hint="--" + key.replace("_", "-")
                )
    if backend == "smms":
        for key in ("upload_path", "url_prefix", "url_suffix"):
            if common[key] not in ("", DEFAULT_UPLOAD_PATH):
                raise typer.BadParameter(
                    "does not apply to SM.MS, which chooses each upload's name and link",
                    param_hint="--" + key.replace("_", "-"),
                )
        return table | {"link_format": common["link_format"]}
    if backend == "local":
        if not table.get("directory"):
            raise typer.BadParameter("the local backend needs it", param_hint="--directory")
        if not common["url_prefix"]:
            raise typer.BadParameter(
                "the local backend needs it, e.g. --url-prefix / (a site's static folder)",
                param_hint="--url-prefix",
            )
    table |= {k: v for k, v in common.items() if v or k == "upload_path"}
    return table


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
    """A profile as plain data, with each secret replaced by where it comes from."""
    from b2img.config import S3Settings, SmmsSettings

    store = prof.store
    info: dict[str, Any] = {"name": prof.name, "backend": prof.backend}
    if isinstance(store, S3Settings):
        from b2img.backends.s3 import derive_region

        info |= {
            "endpoint": store.endpoint,
            "region": derive_region(store.endpoint, store.region),
            "bucket": store.bucket,
            "access_key_id": store.access_key_id,
            "secret_access_key": _secret_info(store.secret_access_key),
        }
    elif isinstance(store, SmmsSettings):
        info |= {"api_base": store.api_base, "token": _secret_info(store.token)}
    else:
        info["directory"] = store.directory
    if not isinstance(store, SmmsSettings):
        info |= {
            "upload_path": prof.upload_path.source,
            "url_prefix": prof.url_prefix,
            "url_suffix": prof.url_suffix,
        }
    if isinstance(store, S3Settings):
        info |= {"path_style": store.path_style, "cache_control": store.cache_control}
    info["link_format"] = prof.link_format.spec
    if isinstance(store, S3Settings):
        info["acl"] = store.acl
    if not isinstance(store, SmmsSettings):
        info["on_conflict"] = prof.on_conflict
    info["image"] = {
        "strip_metadata": prof.image.strip_metadata,
        "convert": prof.image.convert,
        "quality": prof.image.quality,
        "max_width": prof.image.max_width,
        "max_height": prof.image.max_height,
    }
    return info


def _secret_info(secret: "SecretRef") -> dict[str, str]:
    return (
        {"source": secret.kind}
        | ({"name": secret.value} if secret.kind == "env" else {})
        | ({"command": secret.value} if secret.kind == "command" else {})
    )


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        shown = {k: _plain(v) for k, v in value.items() if v not in (None, "")}
        return ", ".join(f"{k}={v}" for k, v in shown.items())
    return str(value) if value != "" else "(empty)"


def _secret_from_options(
    option: str, env: str | None, command: str | None, stdin: bool, *, required: bool
) -> Any:
    """The secret's TOML form from --OPTION-env / -command / -stdin (None if none is given)."""
    chosen = [x for x in (env, command, stdin or None) if x]
    if not chosen and not required:
        return None
    if len(chosen) != 1:
        raise typer.BadParameter(
            f"give exactly one of --{option}-env VAR, --{option}-command CMD, --{option}-stdin",
            param_hint=option.replace("-", " "),
        )
    if env:
        return {"env": env}
    if command:
        return {"command": command}
    value = sys.stdin.readline().strip()
    if not value:
        raise ConfigError(
            f"no {option.replace('-', ' ')} on standard input",
            hint="pipe the secret into the command",
        )
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
            help="Keep the secret (S3 secret key, SM.MS token) out of b2img's config: read it "
            "from this environment variable.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace profiles that exist.")] = False,
) -> None:
    """Create profiles from PicGo's S3 and SM.MS uploaders (PicGo-Core, the PicGo app, PicList)."""
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
            hint="b2img imports aws-s3 (and PicList's aws-s3-plist) and smms uploaders",
        )
    config_path = paths.config_path()
    try:
        existing = set(config_mod.load(config_path).profiles)
    except ConfigError:
        existing = set()
    done = 0
    for item in imported:
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
