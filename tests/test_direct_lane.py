"""A plain `b2img upload FILE…` runs without typer (the fast lane's direct path), and says and
does exactly what the typer application says and does for the same upload."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SECRET_ENV, Bucket
from helpers import month, probe_cli, write_config, write_png

HEAVY = ("typer", "rich", "PIL", "botocore.client", "botocore.session")


def probe(*args: str, env: dict[str, str] | None = None):
    """Run b2img; the process, and which of HEAVY it loaded."""
    return probe_cli(args, watched=HEAVY, env=env)


def test_a_plain_upload_loads_no_typer_rich_or_botocore_client(
    profile: Bucket, tmp_path: Path
) -> None:
    images = [write_png(tmp_path / f"d{i}.png", color=(i, 1, 2, 3)) for i in range(3)]
    done, loaded = probe("upload", "--no-copy", "--jobs=2", "-f", "url", *map(str, images))
    assert loaded == ""
    assert done.returncode == 0, done.stderr
    keys = [f"{month()}/{image.name}" for image in images]
    assert done.stdout == "".join(f"{profile.prefix}/{key}\n" for key in keys)
    for key, image in zip(keys, images, strict=True):
        stored = profile.get(key)
        assert stored["Data"] == image.read_bytes()
        assert stored["ContentType"] == "image/png"


def test_options_it_does_not_know_go_to_the_typer_application(
    profile: Bucket, tmp_path: Path
) -> None:
    image = write_png(tmp_path / "a.png")
    done, loaded = probe("upload", "--no-copy", "--dry-run", str(image))
    assert "typer" in loaded
    assert done.returncode == 0, done.stderr
    assert "would upload" in done.stderr
    assert profile.list_keys() == []


@pytest.mark.parametrize(
    "args",
    [
        ["-f", "{nope}"],  # an unknown field in a custom format
        ["--jobs", "0"],  # out of range
        ["-j", "x"],
    ],
)
def test_usage_errors_are_reported_by_typer(profile: Bucket, tmp_path: Path, args) -> None:
    image = write_png(tmp_path / "a.png")
    done, _ = probe("upload", "--no-copy", *args, str(image))
    assert done.returncode == 2
    assert "Usage: b2img upload" in done.stderr or "Usage: -c upload" in done.stderr
    assert "Invalid value" in done.stderr
    assert profile.list_keys() == []


def typer_path(*args: str) -> list[str]:
    """The same upload, made to go through the typer application: an option the fast lane
    does not know, set to what it is anyway."""
    return ["upload", "--on-conflict", "rename", *args]


def both(*args: str, env: dict[str, str] | None = None):
    lane, loaded = probe("upload", *args, env=env)
    assert "typer" not in loaded
    full, loaded = probe(*typer_path(*args), env=env)
    assert "typer" in loaded
    return lane, full


def test_errors_read_the_same_either_way(profile: Bucket, tmp_path: Path) -> None:
    good = write_png(tmp_path / "good.png")
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    # a wrong secret: exit 5, the same message, no secret
    lane, full = both("--no-copy", str(good), env={SECRET_ENV: "wrong-secret"})
    assert lane.returncode == full.returncode == 5
    assert lane.stderr == full.stderr
    assert "wrong-secret" not in lane.stderr and lane.stdout == ""
    # an unknown profile: exit 3
    lane, full = both("--no-copy", "-p", "nope", str(good))
    assert (lane.returncode, lane.stderr) == (full.returncode, full.stderr)
    assert lane.returncode == 3 and "profile 'nope' not found" in lane.stderr
    # no config at all: exit 3, with the fix
    config = Path(os.environ["B2IMG_CONFIG"])
    saved = config.read_text()
    config.unlink()
    lane, full = both("--no-copy", str(good))
    config.write_text(saved)
    assert (lane.returncode, lane.stderr) == (full.returncode, full.stderr)
    assert lane.returncode == 3 and "Hint:" in lane.stderr
    # one file that is not an image among good ones: the good link printed, exit 4
    lane, full = both("--no-copy", "-f", "url", "--json", str(fake), str(good))
    assert lane.returncode == full.returncode == 4
    extra = [line for line in full.stderr.splitlines() if line not in lane.stderr.splitlines()]
    assert extra == [f"{good}: already uploaded (from the history) → {month()}/good.png"]
    lane_doc, full_doc = json.loads(lane.stdout), json.loads(full.stdout)
    assert lane_doc["results"][0] == full_doc["results"][0]
    assert lane_doc["results"][0]["error"]["type"] == "input"
    assert lane_doc["results"][1]["key"] == f"{month()}/good.png"
    assert full_doc["results"][1]["reused"] == "history"  # the lane's upload, remembered
    assert profile.list_keys() == [f"{month()}/good.png"]


def test_a_profile_chosen_by_the_environment(bucket: Bucket, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENV, bucket.server.secret_key)
    write_config(
        {"other": bucket.table(upload_path="o/{fullName}"), "blog": bucket.table()},
        default="other",
    )
    image = write_png(tmp_path / "e.png")
    done, loaded = probe(
        "upload", "--no-copy", "-f", "{key}", str(image), env={"B2IMG_PROFILE": "blog"}
    )
    assert loaded == ""
    assert done.stdout == f"{month()}/e.png\n", done.stderr
    assert bucket.list_keys() == [f"{month()}/e.png"]
