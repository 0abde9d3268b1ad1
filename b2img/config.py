"""The config file: TOML in, frozen dataclasses out, validated when loaded.

Everything a command needs from a profile is checked here (the template, the link format, the
secret's form), so a typo is reported before any file is read or any request is made.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from b2img import paths
from b2img.credentials import SecretRef
from b2img.defaults import (
    DEFAULT_CACHE_CONTROL,
    DEFAULT_SMMS_API,
    DEFAULT_UPLOAD_PATH,
    ON_CONFLICT,
)
from b2img.errors import ConfigError
from b2img.links import LinkFormat, object_url
from b2img.pipeline import CONVERT_TO, ImageOptions
from b2img.template import Template

__all__ = [
    "DEFAULT_CACHE_CONTROL",
    "ON_CONFLICT",
    "Config",
    "LocalSettings",
    "Profile",
    "S3Settings",
    "SmmsSettings",
    "load",
]

BACKENDS = ("s3", "smms", "local")
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# The SM.MS API's old homes, still accepted as api_base.
LEGACY_SMMS_APIS = ("https://sm.ms/api/v2", "https://smms.app/api/v2")

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
SMMS_FIELDS = ("token", "api_base")
LOCAL_FIELDS = ("directory",)
BACKEND_FIELDS = {"s3": S3_FIELDS, "smms": SMMS_FIELDS, "local": LOCAL_FIELDS}
# SM.MS names and places every upload itself: b2img's key, link and overwrite settings do not
# apply there, so they are refused instead of silently ignored.
NOT_FOR_SMMS = ("upload_path", "url_prefix", "url_suffix", "on_conflict")


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
class SmmsSettings:
    """SM.MS, or S.EE's SM.MS-compatible API: ``{api_base}/upload``, ``{api_base}/delete/…``."""

    token: SecretRef
    api_base: str = DEFAULT_SMMS_API

    @property
    def host(self) -> str:
        return urlsplit(self.api_base).netloc


@dataclass(frozen=True)
class LocalSettings:
    """A folder, typically a static site's ``static/``; relative paths start at the current
    directory when b2img runs."""

    directory: str

    def root(self) -> Path:
        return Path(self.directory).expanduser().absolute()


Store = S3Settings | SmmsSettings | LocalSettings


@dataclass(frozen=True)
class Profile:
    name: str
    backend: str
    upload_path: Template
    url_prefix: str
    url_suffix: str
    link_format: LinkFormat
    store: Store
    on_conflict: str = "rename"
    image: ImageOptions = field(default_factory=ImageOptions)

    @property
    def s3(self) -> S3Settings:
        """The S3 settings; only for code that runs for ``backend = "s3"`` profiles."""
        if not isinstance(self.store, S3Settings):
            raise ConfigError(f"profile '{self.name}' is not an S3 profile ({self.backend})")
        return self.store

    @property
    def assigns_keys(self) -> bool:
        """Whether the store, not b2img's upload_path, decides where an upload lands."""
        return isinstance(self.store, SmmsSettings)

    @property
    def destination(self) -> str:
        """What the history files uploads under: the bucket, the SM.MS host, or the folder."""
        store = self.store
        if isinstance(store, S3Settings):
            return store.bucket
        if isinstance(store, SmmsSettings):
            return store.host
        return str(store.root())

    def describe_destination(self) -> str:
        """The destination for messages: "bucket 'x'", "SM.MS (s.ee)", "folder ~/site/static"."""
        store = self.store
        if isinstance(store, S3Settings):
            return f"bucket '{store.bucket}'"
        if isinstance(store, SmmsSettings):
            return f"SM.MS ({store.host})"
        return f"folder {paths.display(store.root())}"

    def secrets(self) -> tuple[tuple[str, SecretRef], ...]:
        """Each secret the profile uses, with its field name."""
        if isinstance(self.store, S3Settings):
            return (("secret_access_key", self.store.secret_access_key),)
        if isinstance(self.store, SmmsSettings):
            return (("token", self.store.token),)
        return ()

    def object_url(self, key: str) -> str:
        """The link to ``key``: on url_prefix, else (S3) on the endpoint."""
        store = self.store
        if isinstance(store, S3Settings):
            return object_url(
                key=key,
                url_prefix=self.url_prefix,
                url_suffix=self.url_suffix,
                endpoint=store.endpoint,
                bucket=store.bucket,
                path_style=store.path_style,
            )
        return object_url(key=key, url_prefix=self.url_prefix, url_suffix=self.url_suffix)

    def url_bases(self) -> list[str]:
        """The URL prefixes this profile's links start with (before the encoded key)."""
        bases = [self.url_prefix.rstrip("/")] if self.url_prefix else []
        store = self.store
        if isinstance(store, S3Settings):
            parts = urlsplit(store.endpoint)
            bases += [
                f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/{store.bucket}",
                f"{parts.scheme}://{store.bucket}.{parts.netloc}{parts.path.rstrip('/')}",
            ]
        return bases


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
    _reject_foreign(name, backend, table)
    url_prefix = _string(table, "url_prefix", name)
    if url_prefix and not url_prefix.startswith(("https://", "http://", "/")):
        raise ConfigError(
            f"profile '{name}': url_prefix '{url_prefix}' must be a URL",
            hint="e.g. https://img.example.com" + (' (or "/")' if backend == "local" else ""),
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
    store: Store
    if backend == "smms":
        store = _smms_settings(name, table)
    elif backend == "local":
        store = _local_settings(name, table, url_prefix)
    else:
        store = _s3_settings(name, table)
    return Profile(
        name=name,
        backend=backend,
        upload_path=upload_path,
        url_prefix=url_prefix,
        url_suffix=_string(table, "url_suffix", name),
        link_format=link_format,
        store=store,
        on_conflict=on_conflict,
        image=parse_image(name, table.get("image", {})),
    )


def _reject_foreign(name: str, backend: str, table: Mapping[str, Any]) -> None:
    """Refuse keys that are unknown, or that belong to another backend than this profile's."""
    own = BACKEND_FIELDS[backend]
    common = tuple(f for f in COMMON_FIELDS if not (backend == "smms" and f in NOT_FOR_SMMS))
    for key in table:
        if key in own or key in common:
            continue
        if backend == "smms" and key in NOT_FOR_SMMS:
            raise ConfigError(
                f"profile '{name}': {key} does not apply to SM.MS, which chooses each "
                "upload's name and link itself",
                hint=f"remove {key} from [profiles.{name}]",
            )
        owner = next((b for b, fields in BACKEND_FIELDS.items() if key in fields), None)
        if owner is not None:
            raise ConfigError(
                f"profile '{name}': {key} is a setting of the {owner} backend, "
                f"and this profile's backend is {backend}",
                hint=f'remove {key}, or set backend = "{owner}"',
            )
    _reject_unknown(table, common + own, f"profile '{name}'", None)


def _s3_settings(name: str, table: Mapping[str, Any]) -> S3Settings:
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
    return S3Settings(
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


def _smms_settings(name: str, table: Mapping[str, Any]) -> SmmsSettings:
    if "token" not in table:
        raise ConfigError(
            f"profile '{name}' is missing token (the SM.MS / S.EE API token)",
            hint=f'e.g. token = {{ env = "SMMS_TOKEN" }} in [profiles.{name}]',
        )
    api_base = _string(table, "api_base", name, DEFAULT_SMMS_API).rstrip("/")
    if not api_base.startswith(("https://", "http://")):
        raise ConfigError(
            f"profile '{name}': api_base '{api_base}' must be a URL",
            hint=f"the default is {DEFAULT_SMMS_API}; legacy: {', '.join(LEGACY_SMMS_APIS)}",
        )
    return SmmsSettings(
        token=SecretRef.from_toml(table["token"], field="token", profile=name), api_base=api_base
    )


def _local_settings(name: str, table: Mapping[str, Any], url_prefix: str) -> LocalSettings:
    directory = _string(table, "directory", name)
    if not directory:
        raise ConfigError(
            f"profile '{name}' is missing directory (the folder images are copied into)",
            hint=f'e.g. directory = "~/blog/static" in [profiles.{name}]',
        )
    if not url_prefix:
        raise ConfigError(
            f"profile '{name}' is missing url_prefix (how the site serves the folder)",
            hint='e.g. url_prefix = "/" for a static/ folder, or "https://example.com/images"',
        )
    return LocalSettings(directory=directory)


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
            from difflib import get_close_matches  # only when there is a typo to explain

            close = get_close_matches(key, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "valid keys: " + ", ".join(known)
            raise ConfigError(f"{scope}: unknown key '{key}'", where=where, hint=hint)


def _permission_warning(path: Path, config: Config) -> str | None:
    if sys.platform == "win32":
        return None
    literal = [
        p.name
        for p in config.profiles.values()
        if any(ref.kind == "literal" for _, ref in p.secrets())
    ]
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
