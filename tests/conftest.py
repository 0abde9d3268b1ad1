from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import s3server
from helpers import write_config

SECRET_ENV = "TEST_B2_SECRET"


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Config and data in tmp dirs; no AWS or b2img settings and no display from outside."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "B2IMG_")) or name in ("DISPLAY", "WAYLAND_DISPLAY"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("B2IMG_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("B2IMG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[s3server.S3Server]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with s3server.running(log) as server:
        yield server


@dataclass
class Bucket:
    server: s3server.S3Server
    name: str

    @property
    def prefix(self) -> str:
        """A url_prefix that serves objects straight from the test server (path style)."""
        return f"{self.server.endpoint}/{self.name}"

    def get(self, key: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.server.client().get_object(Bucket=self.name, Key=key)
        answer["Data"] = answer["Body"].read()
        return answer

    def table(self, **changes: object) -> dict[str, object]:
        """A profile table for this bucket (path style, served straight from the test server)."""
        table: dict[str, object] = {
            "endpoint": self.server.endpoint,
            "region": s3server.REGION,
            "bucket": self.name,
            "access_key_id": self.server.access_key,
            "secret_access_key": {"env": SECRET_ENV},
            "path_style": True,
            "url_prefix": self.prefix,
        }
        table.update(changes)
        return table

    def use(self, **changes: object) -> None:
        """Make the config's only profile, 'blog', upload to this bucket."""
        write_config({"blog": self.table(**changes)})

    def list_keys(self) -> list[str]:
        listing = self.server.client().list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def bucket(s3: s3server.S3Server) -> Bucket:
    return Bucket(s3, s3.create_bucket())


@pytest.fixture
def profile(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """A config whose default profile 'blog' uploads to ``bucket``; the secret is in an env var."""
    monkeypatch.setenv(SECRET_ENV, bucket.server.secret_key)
    bucket.use()
    return bucket


def b2img_bin() -> str:
    return str(Path(sys.executable).parent / "b2img")


@pytest.fixture
def run() -> Any:
    """Run the installed ``b2img`` as a subprocess: (exit code, stdout, stderr)."""

    def _run(
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ, **(env or {}))
        return subprocess.run(
            [b2img_bin(), *args],
            input=input.decode() if input else None,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=full_env,
            timeout=timeout,
            check=False,
        )

    return _run
