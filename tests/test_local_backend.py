"""The local-folder backend: the files it writes are read back, and nothing is ever clobbered."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import b2img_bin
from helpers import month, png_bytes, write_config, write_png

from b2img.backends.base import Payload
from b2img.backends.local import LocalUploader
from b2img.config import LocalSettings
from b2img.errors import ConfigError, UploadError


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A static site's folder, and a config whose only profile copies images into it."""
    static = tmp_path / "site" / "static"
    static.mkdir(parents=True)
    write_config({"site": {"backend": "local", "directory": str(static), "url_prefix": "/"}})
    return static


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_upload_writes_the_file_and_prints_a_site_link(site: Path, tmp_path: Path, run):
    image = write_png(tmp_path / "my cat.png")
    old = os.umask(0o022)
    try:
        done = run("upload", "--no-copy", str(image))
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"![my cat](/{month()}/my%20cat.png)\n"
    written = site / month() / "my cat.png"
    assert written.read_bytes() == image.read_bytes()
    assert stat.S_IMODE(written.stat().st_mode) == 0o644  # a web server can read it
    assert files_in(site) == [f"{month()}/my cat.png"]  # no temporary file left behind


def test_a_different_file_under_the_same_name_is_renamed_never_replaced(
    site: Path, tmp_path: Path, run
):
    first = write_png(tmp_path / "a" / "pic.png", color=(1, 2, 3, 255))
    second = write_png(tmp_path / "b" / "pic.png", color=(9, 9, 9, 255))
    assert run("upload", "--no-copy", str(first)).returncode == 0
    done = run("upload", "--no-copy", "-f", "url", str(second))
    assert done.returncode == 0, done.stderr
    assert "holds other content" in done.stderr
    renamed = done.stdout.strip().lstrip("/")
    assert renamed != f"{month()}/pic.png" and renamed.endswith(".png")
    assert (site / month() / "pic.png").read_bytes() == first.read_bytes()
    assert (site / renamed).read_bytes() == second.read_bytes()


def test_error_and_overwrite_policies(site: Path, tmp_path: Path, run):
    first = write_png(tmp_path / "a" / "pic.png", color=(1, 2, 3, 255))
    second = write_png(tmp_path / "b" / "pic.png", color=(9, 9, 9, 255))
    assert run("upload", "--no-copy", str(first)).returncode == 0
    refused = run("upload", "--no-copy", "--on-conflict", "error", str(second))
    assert refused.returncode == 6
    assert "already exists with different content" in refused.stderr
    assert (site / month() / "pic.png").read_bytes() == first.read_bytes()
    replaced = run("upload", "--no-copy", "--on-conflict", "overwrite", str(second))
    assert replaced.returncode == 0, replaced.stderr
    assert (site / month() / "pic.png").read_bytes() == second.read_bytes()
    assert files_in(site) == [f"{month()}/pic.png"]


def test_the_same_bytes_already_there_are_reused(site: Path, tmp_path: Path, run):
    image = write_png(tmp_path / "pic.png")
    (site / month()).mkdir(parents=True)
    (site / month() / "pic.png").write_bytes(image.read_bytes())
    done = run("upload", "--no-copy", str(image))
    assert done.returncode == 0
    assert "the store already holds it" in done.stderr
    assert files_in(site) == [f"{month()}/pic.png"]


def test_history_and_delete(site: Path, tmp_path: Path, run):
    image = write_png(tmp_path / "pic.png")
    url = run("upload", "--no-copy", "-f", "url", str(image)).stdout.strip()
    again = run("upload", "--no-copy", "-f", "url", str(image))
    assert again.stdout.strip() == url
    assert "from the history" in again.stderr
    (row,) = json.loads(run("history", "--json").stdout)["uploads"]
    assert (row["backend"], row["bucket"], row["url"]) == ("local", str(site), url)
    done = run("delete", "--yes", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{month()}/pic.png\n"
    assert files_in(site) == []
    assert list(site.iterdir()) == []  # the year/month folders it made went too
    assert json.loads(run("history", "--json").stdout)["uploads"] == []
    gone = run("delete", "--yes", url)
    assert gone.returncode == 4
    assert "is not in folder" in gone.stderr


def test_a_relative_directory_starts_at_the_current_directory(tmp_path: Path):
    project = tmp_path / "blog"
    (project / "static").mkdir(parents=True)
    write_config(
        {
            "site": {
                "backend": "local",
                "directory": "./static",
                "url_prefix": "https://blog.example.com",
                "upload_path": "img/{fileName}.{extName}",
            }
        }
    )
    image = write_png(tmp_path / "pic.png")
    done = subprocess.run(
        [b2img_bin(), "upload", "--no-copy", "-f", "url", str(image)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "https://blog.example.com/img/pic.png\n"
    assert (project / "static" / "img" / "pic.png").read_bytes() == image.read_bytes()


def test_a_missing_folder_is_a_config_error(tmp_path: Path, run):
    write_config(
        {"site": {"backend": "local", "directory": "/nonexistent/static", "url_prefix": "/"}}
    )
    done = run("upload", "--no-copy", str(write_png(tmp_path / "pic.png")))
    assert done.returncode == 3
    assert "folder /nonexistent/static does not exist" in done.stderr
    assert not Path("/nonexistent").exists()


def test_a_symlink_out_of_the_folder_is_refused(site: Path, tmp_path: Path, run):
    outside = tmp_path / "outside"
    outside.mkdir()
    (site / month().split("/")[0]).symlink_to(outside)
    done = run("upload", "--no-copy", str(write_png(tmp_path / "pic.png")))
    assert done.returncode == 6
    assert "leads outside" in done.stderr
    assert files_in(outside) == []


def test_md_rewrites_a_post_to_the_site_folder(site: Path, tmp_path: Path, run):
    post = tmp_path / "post.md"
    write_png(tmp_path / "images" / "fig 1.png")
    post.write_text("Intro\n\n![Figure](images/fig%201.png)\n")
    done = run("md", "--no-backup", str(post))
    assert done.returncode == 0, done.stderr
    assert post.read_text() == f"Intro\n\n![Figure](/{month()}/fig%201.png)\n"
    assert (site / month() / "fig 1.png").read_bytes() == (
        tmp_path / "images/fig 1.png"
    ).read_bytes()


# ---- the uploader itself: races and file systems without hard links -----------------------------


def payload(key: str, data: bytes, *, replace: bool = False) -> Payload:
    import hashlib

    return Payload(
        key=key,
        label=key,
        content_type="image/png",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        replace=replace,
    )


def test_a_file_that_appears_before_the_write_is_not_clobbered(tmp_path: Path):
    uploader = LocalUploader(LocalSettings(str(tmp_path)), profile="t")
    assert uploader.head("x/pic.png") is None
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "pic.png").write_bytes(b"someone else's")  # the race: written in between
    with pytest.raises(UploadError, match="appeared while uploading"):
        uploader.put(payload("x/pic.png", png_bytes()))
    assert (tmp_path / "x" / "pic.png").read_bytes() == b"someone else's"
    assert files_in(tmp_path) == ["x/pic.png"]
    # The same bytes appearing in between are no conflict.
    (tmp_path / "x" / "same.png").write_bytes(png_bytes())
    assert uploader.put(payload("x/same.png", png_bytes())).key == "x/same.png"


def test_without_hard_links_the_name_is_reserved_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    uploader = LocalUploader(LocalSettings(str(tmp_path)), profile="t")
    uploader.put(payload("a.png", png_bytes()))
    assert (tmp_path / "a.png").read_bytes() == png_bytes()
    with pytest.raises(UploadError, match="appeared while uploading"):
        uploader.put(payload("a.png", b"other"))
    assert (tmp_path / "a.png").read_bytes() == png_bytes()
    assert files_in(tmp_path) == ["a.png"]


def test_check_and_config_validation(tmp_path: Path):
    from b2img.config import parse_profile

    LocalUploader(LocalSettings(str(tmp_path)), profile="t").check()
    with pytest.raises(ConfigError, match="does not exist"):
        LocalUploader(LocalSettings(str(tmp_path / "nope")), profile="t").check()
    with pytest.raises(ConfigError, match="missing url_prefix"):
        parse_profile("t", {"backend": "local", "directory": "static"})
    with pytest.raises(ConfigError, match="missing directory"):
        parse_profile("t", {"backend": "local", "url_prefix": "/"})
    with pytest.raises(ConfigError, match="bucket is a setting of the s3 backend"):
        parse_profile("t", {"backend": "local", "directory": "s", "url_prefix": "/", "bucket": "b"})


def test_init_offers_a_local_folder(tmp_path: Path):
    import tomllib

    from typer.testing import CliRunner

    from b2img.cli import app

    static = tmp_path / "static"
    static.mkdir()
    answers = ["site", "local", str(static), "", "", ""]  # template, prefix, format: defaults
    result = CliRunner().invoke(app, ["init"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "The folder is there and writable." in result.stderr
    saved = tomllib.loads(Path(os.environ["B2IMG_CONFIG"]).read_text())["profiles"]["site"]
    assert saved == {
        "backend": "local",
        "directory": str(static),
        "upload_path": "{year}/{month}/{fullName}",
        "url_prefix": "/",
        "link_format": "markdown",
    }
    missing = ["other", "local", str(tmp_path / "nope"), "", "", "", "n"]
    result = CliRunner().invoke(app, ["init"], input="\n".join(missing) + "\n")
    assert result.exit_code == 3
    assert "does not exist" in result.stderr
