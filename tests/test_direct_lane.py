"""A plain `b2img upload FILE…` runs without typer (the fast lane's direct path), and says and
does exactly what the typer application says and does for the same upload."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SECRET_ENV, Bucket
from helpers import month, write_config, write_png

PROBE = """
import sys
from b2img.cli import main
sys.argv = ["b2img", *{args!r}]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = {{"typer", "rich", "PIL", "botocore.client", "botocore.session"}}
print("loaded:", " ".join(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def probe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


def loaded(done: subprocess.CompletedProcess[str]) -> str:
    """What the probe saw loaded (its last stderr line), and that line removed."""
    *rest, last = done.stderr.splitlines()
    done.stderr = "".join(line + "\n" for line in rest)
    assert last.startswith("loaded:"), done.stderr
    return last.removeprefix("loaded:").strip()


def test_a_plain_upload_loads_no_typer_rich_or_botocore_client(
    profile: Bucket, tmp_path: Path
) -> None:
    images = [write_png(tmp_path / f"d{i}.png", color=(i, 1, 2, 3)) for i in range(3)]
    done = probe("upload", "--no-copy", "--jobs=2", "-f", "url", *map(str, images))
    assert loaded(done) == ""
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
    done = probe("upload", "--no-copy", "--dry-run", str(image))
    assert "typer" in loaded(done)
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
    done = probe("upload", "--no-copy", *args, str(image))
    loaded(done)
    assert done.returncode == 2
    assert "Usage: b2img upload" in done.stderr or "Usage: -c upload" in done.stderr
    assert "Invalid value" in done.stderr
    assert profile.list_keys() == []


def typer_path(*args: str) -> list[str]:
    """The same upload, made to go through the typer application: an option the fast lane
    does not know, set to what it is anyway."""
    return ["upload", "--on-conflict", "rename", *args]


def both(*args: str, env: dict[str, str] | None = None):
    lane = probe("upload", *args, env=env)
    assert "typer" not in loaded(lane)
    full = probe(*typer_path(*args), env=env)
    assert "typer" in loaded(full)
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
    done = probe("upload", "--no-copy", "-f", "{key}", str(image), env={"B2IMG_PROFILE": "blog"})
    assert loaded(done) == ""
    assert done.stdout == f"{month()}/e.png\n", done.stderr
    assert bucket.list_keys() == [f"{month()}/e.png"]
