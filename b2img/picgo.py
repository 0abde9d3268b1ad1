"""Reading PicGo's configuration: PicGo-Core's config.json, the PicGo app's and PicList's data.json.

Each configured S3 uploader (``aws-s3``, PicList's ``aws-s3-plist``) and SM.MS uploader
(``smms``) becomes a b2img profile table; what has no b2img equivalent is reported, never
silently dropped.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from b2img.config import PROFILE_NAME
from b2img.errors import ConfigError

S3_UPLOADERS = ("aws-s3", "aws-s3-plist")
OTHER_KNOWN = ("smms",)
# PicGo-Core uploads to S.EE unless backupDomain names another host, which then speaks the
# legacy v2 API at /api/v2.
SEE_HOST = "s.ee"
_UNMAPPED_S3 = {
    "outputURLPattern": "URL patterns (b2img builds links from url_prefix and url_suffix)",
    "proxy": "proxies",
    "rejectUnauthorized": "TLS verification settings (b2img always verifies)",
}
_BOOKKEEPING = {"_configName", "_id", "_createdAt", "_updatedAt"}


@dataclass(frozen=True)
class Imported:
    name: str
    table: dict[str, Any]
    source: str  # e.g. "uploader.aws-s3.configList[0]"
    notes: tuple[str, ...] = field(default=())


def candidates(home: Path | None = None) -> list[Path]:
    """Where PicGo-Core, the PicGo app and PicList keep their configuration, in that order."""
    home = home or Path.home()
    found = [home / ".picgo" / "config.json"]
    if sys.platform == "darwin":  # pragma: no cover - macOS paths
        support = home / "Library" / "Application Support"
        found += [support / "picgo" / "data.json", support / "piclist" / "data.json"]
    elif sys.platform == "win32":  # pragma: no cover - Windows paths
        appdata = Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
        found += [appdata / "picgo" / "data.json", appdata / "piclist" / "data.json"]
    else:
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
        found += [config / "picgo" / "data.json", config / "piclist" / "data.json"]
    return found


def read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read {path} ({exc.strerror})") from None
    try:
        data = json.loads(_without_comments(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno})",
            hint="PicGo writes plain JSON; fix the file or pass another path",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} does not hold a PicGo configuration")
    return data


def _without_comments(text: str) -> str:
    """JSON with // and /* */ comments (as people annotate their configs) made plain JSON."""
    pattern = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
    return pattern.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def entries(data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(uploader type, where, config) for each configured uploader, without duplicates."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    seen: list[dict[str, Any]] = []
    uploader = data.get("uploader") if isinstance(data.get("uploader"), dict) else {}
    for kind in (*S3_UPLOADERS, *OTHER_KNOWN):
        section = uploader.get(kind) if isinstance(uploader, dict) else None
        config_list = section.get("configList") if isinstance(section, dict) else None
        for index, item in enumerate(config_list or []):
            if isinstance(item, dict):
                found.append((kind, f"uploader.{kind}.configList[{index}]", item))
                seen.append(_essence(item))
    pic_bed = data.get("picBed") if isinstance(data.get("picBed"), dict) else {}
    for kind in (*S3_UPLOADERS, *OTHER_KNOWN):
        item = pic_bed.get(kind) if isinstance(pic_bed, dict) else None
        if isinstance(item, dict) and item and _essence(item) not in seen:
            found.append((kind, f"picBed.{kind}", item))
    return found


def _essence(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _BOOKKEEPING}


def to_profiles(data: dict[str, Any], *, secret_env: str | None = None) -> list[Imported]:
    """One b2img profile per S3 or SM.MS uploader configured in PicGo ``data``."""
    profiles: list[Imported] = []
    names: set[str] = set()
    for kind, where, item in entries(data):
        name = _unique(_profile_name(item, kind), names)
        names.add(name)
        if kind in S3_UPLOADERS:
            profiles.append(_s3_profile(name, where, item, secret_env))
        else:
            profiles.append(_smms_profile(name, where, item, secret_env))
    return profiles


def _profile_name(item: dict[str, Any], kind: str) -> str:
    raw = str(item.get("_configName") or kind)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-.").lower()
    return name if name and PROFILE_NAME.fullmatch(name) else f"picgo-{kind}"


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}-{number}", number + 1
    return candidate


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return "" if value is None else str(value).strip()


def _secret(value: str, secret_env: str | None, what: str, notes: list[str]) -> Any:
    """A secret as it goes into the profile: the value, or a reference to ``$secret_env``."""
    if secret_env:
        notes.append(f"the {what} is read from ${secret_env}: export it before uploading")
        return {"env": secret_env}
    return value


def _s3_profile(name: str, where: str, item: dict[str, Any], secret_env: str | None) -> Imported:
    notes: list[str] = []
    endpoint = _text(item, "endpoint")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        endpoint = "https://" + endpoint
    bucket = _text(item, "bucketName")
    path_style = bool(item.get("pathStyleAccess"))
    url_prefix = _text(item, "urlPrefix").rstrip("/")
    # picgo-plugin-s3 puts the bucket after a custom prefix in path style, unless told not to.
    if url_prefix and path_style and not item.get("disableBucketPrefixToURL"):
        url_prefix = f"{url_prefix}/{bucket}"
    table: dict[str, Any] = {
        "backend": "s3",
        "endpoint": endpoint,
        "bucket": bucket,
        "access_key_id": _text(item, "accessKeyID"),
        "upload_path": _text(item, "uploadPath"),
    }
    table["secret_access_key"] = _secret(
        _text(item, "secretAccessKey"), secret_env, "secret", notes
    )
    for key, value in (
        ("region", _text(item, "region")),
        ("url_prefix", url_prefix),
        ("url_suffix", _text(item, "urlSuffix")),
        ("acl", _text(item, "acl")),
    ):
        if value:
            table[key] = value
    if path_style:
        table["path_style"] = True
    if not endpoint:
        notes.append("no endpoint: PicGo used AWS itself; set it with b2img profile add --force")
    for key, what in _UNMAPPED_S3.items():
        raw = item.get(key)
        if raw not in (None, "", False) and not (key == "rejectUnauthorized" and raw is True):
            notes.append(f"not imported: {key} ({what})")
    known = {
        "accessKeyID", "secretAccessKey", "bucketName", "uploadPath", "region", "endpoint",
        "urlPrefix", "urlSuffix", "pathStyleAccess", "disableBucketPrefixToURL", "acl",
        *_UNMAPPED_S3, *_BOOKKEEPING,
    }  # fmt: skip
    for key in sorted(set(item) - known):
        notes.append(f"not imported: {key} (unknown to b2img)")
    return Imported(name, table, where, tuple(notes))


def _smms_profile(name: str, where: str, item: dict[str, Any], secret_env: str | None) -> Imported:
    notes: list[str] = []
    table: dict[str, Any] = {"backend": "smms"}
    table["token"] = _secret(_text(item, "token"), secret_env, "token", notes)
    if not table["token"]:
        notes.append(
            f"no token: add one with b2img profile add {name} --backend smms "
            "--token-env VAR --force"
        )
    domain = _text(item, "backupDomain").removeprefix("https://").removeprefix("http://")
    domain = domain.strip("/")
    if domain and domain != SEE_HOST:
        table["api_base"] = f"https://{domain}/api/v2"
    for key in sorted(set(item) - {"token", "backupDomain", *_BOOKKEEPING}):
        notes.append(f"not imported: {key} (unknown to b2img)")
    return Imported(name, table, where, tuple(notes))
