"""``b2img worker init``: a ready Cloudflare Worker project for an S3 profile.

The files are rendered from the profile (never a secret) and written with a manifest of their
hashes, so a later run can tell a file b2img wrote (safe to update) from one the user edited
(kept unless forced).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from b2img import paths
from b2img.config import Profile, S3Settings
from b2img.errors import ConfigError
from b2img.worker import WORKER_JS

AWS4FETCH_VERSION = "1.0.20"
WRANGLER_VERSION = "4.86.0"  # the last wrangler that runs on Node 20
COMPATIBILITY_DATE = "2026-04-01"
MANIFEST = ".b2img-worker.json"


@dataclass(frozen=True)
class Written:
    path: str  # relative to the project folder
    action: str  # "created", "updated", "unchanged", "replaced" (an edit, with --force)


def render(profile: Profile) -> dict[str, str]:
    """The project's files (relative path -> text) for ``profile``."""
    store = profile.store
    if not isinstance(store, S3Settings):
        raise ConfigError(
            f"profile '{profile.name}' uses the {profile.backend} backend; the Worker serves "
            "S3 buckets (Backblaze B2)",
            hint="choose an S3 profile: b2img worker init DIR --profile NAME",
        )
    name = "b2img-" + "".join(c if c.isalnum() else "-" for c in profile.name.lower())
    return {
        "src/index.js": WORKER_JS.read_text(encoding="utf-8"),
        "package.json": _package_json(name),
        "wrangler.toml": _wrangler_toml(profile, store, name),
        "README.md": _readme(profile, store),
        ".gitignore": "node_modules/\n.wrangler/\n.dev.vars\n",
    }


def _package_json(name: str) -> str:
    document = {
        "name": name,
        "private": True,
        "type": "module",
        "scripts": {"deploy": "wrangler deploy", "dev": "wrangler dev"},
        "dependencies": {"aws4fetch": AWS4FETCH_VERSION},
        "devDependencies": {"wrangler": WRANGLER_VERSION},
    }
    return json.dumps(document, indent=2) + "\n"


def worker_endpoint(store: S3Settings) -> str:
    """B2_ENDPOINT: the bare host for virtual-host style (B2's way), else the endpoint URL."""
    parts = urlsplit(store.endpoint)
    if parts.scheme == "https" and not store.path_style and not parts.path.strip("/"):
        return parts.netloc
    return store.endpoint


def custom_domain(profile: Profile) -> str:
    """The host of url_prefix when the Worker can serve it as a custom domain, else ""."""
    parts = urlsplit(profile.url_prefix)
    if parts.scheme == "https" and parts.hostname and not parts.path.strip("/"):
        return parts.hostname
    return ""


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def _wrangler_toml(profile: Profile, store: S3Settings, name: str) -> str:
    lines = [
        f"# Made by `b2img worker init --profile {profile.name}`. The key is not in this file:",
        "#   npx wrangler secret put B2_APPLICATION_KEY_ID",
        "#   npx wrangler secret put B2_APPLICATION_KEY",
        f"name = {_toml_string(name)}",
        'main = "src/index.js"',
        f'compatibility_date = "{COMPATIBILITY_DATE}"',
    ]
    domain = custom_domain(profile)
    if domain:
        lines += [
            "workers_dev = false",
            f"routes = [{{ pattern = {_toml_string(domain)}, custom_domain = true }}]",
        ]
    else:
        lines.append("# No custom domain: url_prefix is not an https:// host (add routes here).")
    lines += [
        "",
        "[vars]",
        f"B2_ENDPOINT = {_toml_string(worker_endpoint(store))}",
        f"BUCKET_NAME = {_toml_string(store.bucket)}",
        'ALLOW_LIST_BUCKET = "false"',
    ]
    if store.region:
        lines.append(f"B2_REGION = {_toml_string(store.region)}")
    lines.append('# ALLOWED_HEADERS = "accept"   # more request headers to pass on, signed')
    return "\n".join(lines) + "\n"


def _readme(profile: Profile, store: S3Settings) -> str:
    domain = custom_domain(profile) or "your image domain"
    return f"""# Worker for b2img profile `{profile.name}`

Serves the private bucket `{store.bucket}` on `{domain}`: each request is signed with a
read-only key and the answer is cached by Cloudflare.

1. Create a **read-only** key for this bucket alone. In Backblaze's web UI: Application Keys →
   Add a New Application Key, allow access to `{store.bucket}` only, type of access **Read
   Only** (it has `readFiles`). Do not reuse the key b2img uploads with.
2. Install and log in:

   ```sh
   npm install
   npx wrangler login
   ```

3. Give the Worker the key (stored encrypted by Cloudflare, never in a file):

   ```sh
   npx wrangler secret put B2_APPLICATION_KEY_ID
   npx wrangler secret put B2_APPLICATION_KEY
   ```

4. Deploy: `npx wrangler deploy`. `wrangler.toml` asks for the custom domain `{domain}`; the
   domain's zone must be on Cloudflare.
5. Check the whole chain: `b2img doctor --profile {profile.name}`.

The settings are in `wrangler.toml` under `[vars]`: `B2_ENDPOINT`, `BUCKET_NAME`,
`ALLOW_LIST_BUCKET`, and optionally `ALLOWED_HEADERS` and `B2_REGION`. `b2img worker init`
updates these files when run again, but keeps any file you edited unless given `--force`.
"""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(folder: Path, files: dict[str, str], *, force: bool = False) -> list[Written]:
    """Write ``files`` under ``folder``; refuse (changing nothing) to replace edited files."""
    manifest_path = folder / MANIFEST
    try:
        recorded = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        recorded = {}
    plan: list[Written] = []
    edited: list[str] = []
    for relative, text in files.items():
        target = folder / relative
        try:
            current = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            plan.append(Written(relative, "created"))
            continue
        except (OSError, UnicodeDecodeError):
            current = None
        if current == text:
            plan.append(Written(relative, "unchanged"))
        elif current is not None and recorded.get(relative) == _sha256(current):
            plan.append(Written(relative, "updated"))
        else:
            edited.append(relative)
            plan.append(Written(relative, "replaced"))
    if edited and not force:
        shown = ", ".join(edited)
        raise ConfigError(
            f"{shown} in {paths.display(folder)} changed since b2img wrote it; nothing was written",
            hint="keep your edits, or pass --force to replace them",
        )
    for item in plan:
        if item.action != "unchanged":
            _write_text(folder / item.path, files[item.path])
    manifest = {"files": {relative: _sha256(text) for relative, text in files.items()}}
    _write_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return plan


def _write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {paths.display(path)} ({exc.strerror})") from None
