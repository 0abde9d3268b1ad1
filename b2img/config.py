"""The config file: TOML in, frozen dataclasses out, validated when loaded.

Everything a command needs from a profile is checked here (the template, the link format, the
secret's form), so a typo is reported before any file is read or any request is made.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from b2img import paths
from b2img.credentials import SecretRef
from b2img.defaults import DEFAULT_CACHE_CONTROL, DEFAULT_UPLOAD_PATH, ON_CONFLICT
from b2img.errors import ConfigError
from b2img.links import LinkFormat
from b2img.pipeline import CONVERT_TO, ImageOptions
from b2img.template import Template

__all__ = ["DEFAULT_CACHE_CONTROL", "ON_CONFLICT", "Config", "Profile", "S3Settings", "load"]

BACKENDS = ("s3",)
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

COMMON_FIELDS = (
    "backend",
    "upload_path",
    "url_prefix",
    "url_suffix",
    "link_format",
    "on_conflict",
    "image",
)
IMAGE_FIELDS = ("strip_metadata", "convert", "quality", "max_width", "max_height")
S3_FIELDS = (
    "endpoint",
    "region",
    "bucket",
    "access_key_id",
    "secret_access_key",
    "path_style",
    "cache_control",
    "acl",
)
S3_REQUIRED = ("endpoint", "bucket", "access_key_id", "secret_access_key")


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    region: str
    bucket: str
    access_key_id: str
    secret_access_key: SecretRef
    path_style: bool = False
    cache_control: str = DEFAULT_CACHE_CONTROL
    acl: str = ""


@dataclass(frozen=True)
class Profile:
    name: str
    backend: str
    upload_path: Template
    url_prefix: str
    url_suffix: str
    link_format: LinkFormat
    s3: S3Settings
    on_conflict: str = "rename"
    image: ImageOptions = field(default_factory=ImageOptions)

    def object_url_args(self) -> dict[str, Any]:
        return {
            "url_prefix": self.url_prefix,
            "url_suffix": self.url_suffix,
            "endpoint": self.s3.endpoint,
            "bucket": self.s3.bucket,
            "path_style": self.s3.path_style,
        }


@dataclass(frozen=True)
class Config:
    path: Path
    default_profile: str | None
    profiles: Mapping[str, Profile]
    warnings: tuple[str, ...] = field(default=())

    def profile(self, name: str | None) -> Profile:
        """The profile ``name``, else the default, else the only one there is."""
        where = paths.display(self.path)
        chosen = name or self.default_profile
        if chosen is None:
            if len(self.profiles) == 1:
                return next(iter(self.profiles.values()))
            if not self.profiles:
                raise ConfigError("the config has no profiles", where=where, hint="b2img init")
            raise ConfigError(
                "no profile chosen and no default_profile set",
                where=where,
                hint="pass --profile NAME, or set a default: b2img profile default NAME",
            )
        if chosen not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none"
            raise ConfigError(
                f"profile '{chosen}' not found (profiles: {known})",
                where=where,
                hint="b2img profile list",
            )
        return self.profiles[chosen]


def load(path: Path | None = None) -> Config:
    path = path or paths.config_path()
    where = paths.display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no config file yet", where=where, hint="b2img init") from None
    except IsADirectoryError:
        raise ConfigError("the config path is a directory", where=where) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"cannot read the config file ({reason})", where=where) from None
    config = parse(text, path)
    warning = _permission_warning(path, config)
    if warning:
        return Config(config.path, config.default_profile, config.profiles, (warning,))
    return config


def parse(text: str, path: Path) -> Config:
    where = paths.display(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"invalid TOML: {exc}", where=where, hint="fix the file, or: b2img config check"
        ) from None
    _reject_unknown(data, ("default_profile", "profiles"), "top level", where)
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise ConfigError("'profiles' must be a table", where=where, hint="[profiles.NAME]")
    profiles: dict[str, Profile] = {}
    for name, table in raw_profiles.items():
        if not isinstance(table, dict):
            raise ConfigError(f"profile '{name}' must be a table", where=where)
        try:
            profiles[name] = parse_profile(name, table)
        except ConfigError as exc:
            exc.where = exc.where or where
            raise
    default = data.get("default_profile")
    if default is not None and (not isinstance(default, str) or default not in profiles):
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(
            f"default_profile '{default}' is not a profile (profiles: {known})",
            where=where,
            hint="b2img profile default NAME",
        )
    return Config(path, default, profiles)


def parse_profile(name: str, table: Mapping[str, Any]) -> Profile:
    if not PROFILE_NAME.fullmatch(name):
        raise ConfigError(
            f"profile name '{name}' is not allowed",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    backend = _string(table, "backend", name, "s3")
    if backend not in BACKENDS:
        raise ConfigError(
            f"profile '{name}': unknown backend '{backend}'",
            hint="valid backends: " + ", ".join(BACKENDS),
        )
    _reject_unknown(table, COMMON_FIELDS + S3_FIELDS, f"profile '{name}'", None)
    missing = [f for f in S3_REQUIRED if not table.get(f)]
    if missing:
        raise ConfigError(
            f"profile '{name}' is missing {', '.join(missing)}",
            hint=f"b2img profile add {name} --force … with every required option",
        )
    endpoint = _string(table, "endpoint", name)
    if not endpoint.startswith(("https://", "http://")):
        raise ConfigError(
            f"profile '{name}': endpoint '{endpoint}' must start with https://",
            hint="e.g. https://s3.us-west-004.backblazeb2.com",
        )
    url_prefix = _string(table, "url_prefix", name)
    if url_prefix and not url_prefix.startswith(("https://", "http://", "/")):
        raise ConfigError(
            f"profile '{name}': url_prefix '{url_prefix}' must be a URL",
            hint="e.g. https://img.example.com",
        )
    try:
        # An explicitly empty upload_path means the bare file name, as in picgo-plugin-s3.
        raw_path = _string(table, "upload_path", name, DEFAULT_UPLOAD_PATH) or "{fullName}"
        upload_path = Template.parse(raw_path)
        link_format = LinkFormat.parse(_string(table, "link_format", name, "markdown"))
    except ConfigError as exc:
        exc.message = f"profile '{name}': {exc.message}"
        raise
    on_conflict = _string(table, "on_conflict", name, "rename")
    if on_conflict not in ON_CONFLICT:
        raise ConfigError(
            f"profile '{name}': on_conflict '{on_conflict}' is not one of {', '.join(ON_CONFLICT)}"
        )
    s3 = S3Settings(
        endpoint=endpoint.rstrip("/"),
        region=_string(table, "region", name),
        bucket=_string(table, "bucket", name),
        access_key_id=_string(table, "access_key_id", name),
        secret_access_key=SecretRef.from_toml(
            table["secret_access_key"], field="secret_access_key", profile=name
        ),
        path_style=_bool(table, "path_style", name),
        cache_control=_string(table, "cache_control", name, DEFAULT_CACHE_CONTROL),
        acl=_string(table, "acl", name),
    )
    return Profile(
        name=name,
        backend=backend,
        upload_path=upload_path,
        url_prefix=url_prefix,
        url_suffix=_string(table, "url_suffix", name),
        link_format=link_format,
        s3=s3,
        on_conflict=on_conflict,
        image=parse_image(name, table.get("image", {})),
    )


def parse_image(profile: str, table: object) -> ImageOptions:
    """The ``[profiles.NAME.image]`` table: the image pipeline's defaults for a profile."""
    scope = f"profile '{profile}': image"
    if not isinstance(table, dict):
        raise ConfigError(f"{scope} must be a table", hint=f"[profiles.{profile}.image]")
    _reject_unknown(table, IMAGE_FIELDS, scope, None)
    strip = table.get("strip_metadata", True)
    if not isinstance(strip, bool):
        raise ConfigError(f"{scope}.strip_metadata must be true or false")
    convert = table.get("convert", "")
    if not isinstance(convert, str) or (convert and convert.lower() not in CONVERT_TO):
        raise ConfigError(
            f'{scope}.convert must be one of {", ".join(sorted(set(CONVERT_TO)))} (or "")'
        )
    numbers: dict[str, int | None] = {}
    for key, low, high in (("quality", 1, 100), ("max_width", 1, 65535), ("max_height", 1, 65535)):
        value = table.get(key)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
        ):
            raise ConfigError(f"{scope}.{key} must be a whole number from {low} to {high}")
        numbers[key] = value
    return ImageOptions(
        strip_metadata=strip,
        convert=convert.lower(),
        quality=numbers["quality"],
        max_width=numbers["max_width"],
        max_height=numbers["max_height"],
    )


def _string(table: Mapping[str, Any], key: str, profile: str, default: str = "") -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"profile '{profile}': {key} must be a string")
    return value


def _bool(table: Mapping[str, Any], key: str, profile: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"profile '{profile}': {key} must be true or false")
    return value


def _reject_unknown(
    table: Mapping[str, Any], known: tuple[str, ...], scope: str, where: str | None
) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(known)
            raise ConfigError(f"{scope}: unknown key '{key}'", where=where, hint=hint)


def _permission_warning(path: Path, config: Config) -> str | None:
    if sys.platform == "win32":
        return None
    literal = [p.name for p in config.profiles.values() if p.s3.secret_access_key.kind == "literal"]
    if not literal:
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return None
    return (
        f"{paths.display(path)} holds a secret (profile '{literal[0]}') but is readable by "
        f"others (mode {mode:o}); fix with: chmod 600 {paths.display(path)}"
    )


# ---- writing -----------------------------------------------------------------------------------


def save_profile(
    name: str, table: Mapping[str, Any], *, replace: bool, make_default: bool, path: Path
) -> Config:
    """Add (or with ``replace``, overwrite) a profile and write the file; returns the result."""
    parse_profile(name, table)  # refuse to write a profile that would not load
    doc = _read_document(path)
    profiles = doc.setdefault("profiles", _table())
    if name in profiles and not replace:
        raise ConfigError(
            f"profile '{name}' already exists",
            where=paths.display(path),
            hint=f"pass --force to replace it, or: b2img profile remove {name}",
        )
    new = _table()
    for key, value in table.items():
        new[key] = _inline(value) if isinstance(value, dict) else value
    profiles[name] = new
    if make_default or "default_profile" not in doc:
        doc["default_profile"] = name
    return _write_document(doc, path)


def remove_profile(name: str, *, path: Path) -> Config:
    doc = _read_document(path)
    load(path).profile(name)  # the same "not found" error as every other command
    del doc["profiles"][name]
    if doc.get("default_profile") == name:
        del doc["default_profile"]
    return _write_document(doc, path)


def set_default(name: str, *, path: Path) -> Config:
    doc = _read_document(path)
    load(path).profile(name)
    doc["default_profile"] = name
    return _write_document(doc, path)


def _read_document(path: Path) -> Any:
    import tomlkit

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return tomlkit.document()
    parse(text, path)  # never edit a file that does not load: the user should fix it first
    return tomlkit.parse(text)


def _table() -> Any:
    import tomlkit

    return tomlkit.table()


def _inline(value: Mapping[str, Any]) -> Any:
    import tomlkit

    inline = tomlkit.inline_table()
    inline.update(value)
    return inline


def _write_document(doc: Any, path: Path) -> Config:
    import tomlkit

    text = tomlkit.dumps(doc)
    config = parse(text, path)
    try:
        write_private(path, text)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the config file ({exc.strerror})", where=paths.display(path)
        ) from None
    return config


def write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically with mode 0600 (the file may hold secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o600)  # O_CREAT's mode is filtered by the umask; be exact
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
