"""`b2img init`: a guided first profile, tried (bucket, token or folder) before it is saved."""

import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from b2img import paths
from b2img.defaults import DEFAULT_CACHE_CONTROL, DEFAULT_SMMS_API, DEFAULT_UPLOAD_PATH
from b2img.errors import B2ImgError, ConfigError

if TYPE_CHECKING:
    from b2img.config import Profile

from . import output

DEFAULT_ENDPOINT = "https://s3.us-west-004.backblazeb2.com"
DEFAULT_SECRET_ENV = "B2_APPLICATION_KEY"  # noqa: S105 - a variable name, not a secret
DEFAULT_TOKEN_ENV = "SMMS_TOKEN"  # noqa: S105 - a variable name, not a secret


def init(
    name: Annotated[
        str | None, typer.Option("--name", help="Profile name (asked if not given).")
    ] = None,
    skip_check: Annotated[
        bool, typer.Option("--skip-check", help="Do not try the profile before saving it.")
    ] = False,
) -> None:
    """Create a profile by answering a few questions, then check that it works."""
    from b2img import config as config_mod
    from b2img.links import LinkFormat
    from b2img.template import Template

    path = paths.config_path()
    output.note(f"Creating a profile in {paths.display(path)} (Ctrl-C to stop; nothing is saved)")
    name = name or _ask("Profile name", "blog")
    output.note(
        "Where do the images go?\n"
        "  s3     Backblaze B2, or any S3-compatible bucket\n"
        "  smms   SM.MS / S.EE (an image host with an API token)\n"
        "  local  a folder, e.g. a static site's static/"
    )
    backend = _ask("Backend", "s3", check=_backend)
    table: dict[str, Any] = {"backend": backend}
    if backend == "s3":
        table["endpoint"] = _ask("S3 endpoint", DEFAULT_ENDPOINT, check=_url)
        table["bucket"] = _ask("Bucket name")
        table["access_key_id"] = _ask("Application key ID (access key)")
        table["secret_access_key"] = _ask_secret("application key", DEFAULT_SECRET_ENV)
    elif backend == "smms":
        table["token"] = _ask_secret("API token", DEFAULT_TOKEN_ENV)
        table["api_base"] = _ask("API base", DEFAULT_SMMS_API, check=_url)
    else:
        table["directory"] = _ask("Folder to copy images into", "./static")
    if backend != "smms":
        table["upload_path"] = _ask(
            "Upload path template", DEFAULT_UPLOAD_PATH, check=Template.parse
        )
        if backend == "s3":
            prompt, default = "Custom domain for links (empty: the bucket's own URL)", ""
        else:
            prompt, default = "Start of every link (/ for the site's root)", "/"
        table["url_prefix"] = _ask(prompt, default, check=_optional_url)
    table["link_format"] = _ask("Link format", "markdown", check=LinkFormat.parse)
    if backend == "s3":
        table["cache_control"] = DEFAULT_CACHE_CONTROL
    table = {k: v for k, v in table.items() if v != ""}
    profile = config_mod.parse_profile(name, table)
    if not skip_check:
        _check(profile)
    config_mod.save_profile(
        name, table, replace=_confirm_replace(name), make_default=True, path=path
    )
    output.note(f"Saved profile '{name}' as the default. Try: b2img upload pic.png")


def _ask(prompt: str, default: str | None = None, *, check: Any = None) -> str:
    while True:
        answer: str = typer.prompt(prompt, default=default, err=True, show_default=bool(default))
        answer = answer.strip()
        if check is None:
            if answer:
                return answer
            continue
        try:
            check(answer)
        except B2ImgError as exc:
            output.error(exc)
            continue
        return answer


def _url(value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise ConfigError("enter a URL starting with https://")


def _optional_url(value: str) -> None:
    if value and not value.startswith("/"):
        _url(value)


def _backend(value: str) -> None:
    from b2img.config import BACKENDS

    if value not in BACKENDS:
        raise ConfigError(f"'{value}' is not a backend", hint="answer " + ", ".join(BACKENDS))


def _ask_secret(what: str, default_env: str) -> Any:
    output.note(
        f"Where should b2img read the {what} (the secret) from?\n"
        "  env      an environment variable (recommended)\n"
        "  command  the output of a command, e.g. 'pass show b2'\n"
        "  file     stored in the config file (mode 0600)"
    )
    while True:
        kind = _ask("Secret source", "env").lower()
        if kind == "env":
            return {"env": _ask("Environment variable", default_env)}
        if kind == "command":
            return {"command": _ask("Command")}
        if kind == "file":
            value: str = typer.prompt(what.capitalize(), hide_input=True, err=True)
            return value.strip()
        output.note("Answer env, command or file.")


def _check(profile: "Profile") -> None:
    """Try the profile (bucket, token or folder) before saving it; offer to save anyway."""
    from b2img.backends import make_uploader

    for _, secret in profile.secrets():
        if secret.kind == "env" and not os.environ.get(secret.value):
            output.warn(f"${secret.value} is not set in this shell, so it was not checked")
            return
    output.note(f"Checking {profile.describe_destination()} …")
    try:
        make_uploader(profile, max_connections=1).check()
    except B2ImgError as exc:
        output.error(exc)
        if not typer.confirm("Save the profile anyway?", default=False, err=True):
            raise typer.Exit(int(exc.exit_code)) from None
        return
    answers = {
        "s3": "The bucket answers and accepts the key.",
        "smms": "The service accepts the token.",
        "local": "The folder is there and writable.",
    }
    output.note(answers[profile.backend])


def _confirm_replace(name: str) -> bool:
    from b2img import config as config_mod

    try:
        existing = config_mod.load(paths.config_path()).profiles
    except ConfigError:
        return False
    if name not in existing:
        return False
    if not typer.confirm(f"Profile '{name}' exists. Replace it?", default=False, err=True):
        raise typer.Exit(int(ConfigError.exit_code))
    return True
