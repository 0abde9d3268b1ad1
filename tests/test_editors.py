"""Editor contracts: Typora's custom command and PicGo-Core's output, played as the editors do."""

from __future__ import annotations

from pathlib import Path

from conftest import Bucket
from helpers import png_bytes


def typora_icons(tmp_path: Path) -> list[Path]:
    """Typora's "Test Uploader" sends the same two icons from a temporary folder every time."""
    folder = tmp_path / "typora-test"
    folder.mkdir(exist_ok=True)
    icons = [folder / "typora-icon.png", folder / "typora-icon2.png"]
    icons[0].write_bytes(png_bytes(size=(32, 32), color=(10, 20, 30, 255)))
    icons[1].write_bytes(png_bytes(size=(64, 64), color=(40, 50, 60, 255)))
    return icons


def test_typora_test_uploader_passes_twice_in_a_row(profile: Bucket, tmp_path: Path, run):
    icons = typora_icons(tmp_path)
    for _attempt in range(2):
        done = run("upload", "--format", "url", *map(str, icons))
        assert done.returncode == 0, done.stderr
        raw = done.stdout.encode("utf-8")
        assert b"\x1b" not in raw
        urls = done.stdout.splitlines()[-len(icons) :]
        assert done.stdout.endswith(urls[-1] + "\n")  # nothing after the last URL
        for url, icon in zip(urls, icons, strict=True):
            status, body, _ = profile.server.signed_get(url)
            assert status == 200
            assert body == icon.read_bytes()


def test_typora_sees_a_failure(profile: Bucket, tmp_path: Path, run):
    icons = typora_icons(tmp_path)
    done = run("upload", "--format", "url", str(icons[0]), str(tmp_path / "gone.png"))
    assert done.returncode == 4
    assert len(done.stdout.splitlines()) == 1  # Typora compares the count with its inputs


def test_picgo_compat_success_block(profile: Bucket, tmp_path: Path, run):
    icons = typora_icons(tmp_path)
    done = run("upload", "--picgo-compat", "--no-copy", *map(str, icons))
    assert done.returncode == 0, done.stderr
    urls = [f"{profile.prefix}/{key}" for key in profile.list_keys()]
    assert done.stdout == "[PicGo SUCCESS]: \n" + "\n".join(sorted(urls)) + "\n"
    # The Obsidian plugin's PicGo-Core mode: split on newlines, take the N lines before the last.
    lines = done.stdout.split("\n")
    assert lines[len(lines) - 1 - 2 : len(lines) - 1] == sorted(urls)
    assert "PicGo ERROR" not in done.stdout
    # nvim-picgo: the first line of a chunk is the header, the second the URL.
    assert lines[0].startswith("[PicGo SUCCESS]:")
    assert lines[1].startswith("http")


def test_picgo_compat_failure(profile: Bucket, tmp_path: Path, run):
    done = run("upload", "--picgo-compat", "--no-copy", str(tmp_path / "missing.png"))
    assert done.returncode == 4
    assert done.stdout == f"[PicGo ERROR]: {tmp_path / 'missing.png'}: no such file\n"
    assert "Error:" in done.stderr


def test_picgo_compat_config_error(tmp_path: Path, run):
    done = run("upload", "--picgo-compat", str(tmp_path / "a.png"))
    assert done.returncode == 3
    assert done.stdout.startswith("[PicGo ERROR]: no config file yet")


def test_picgo_compat_refuses_json(profile: Bucket, tmp_path: Path, run):
    done = run("upload", "--picgo-compat", "--json", str(tmp_path / "a.png"))
    assert done.returncode == 2


def picgo_shim() -> str:
    from conftest import b2img_bin

    return b2img_bin() + "-picgo"


def test_picgo_shim_answers_like_picgo_core(profile: Bucket, tmp_path: Path):
    import subprocess

    icons = typora_icons(tmp_path)
    for verb in ("upload", "u"):
        done = subprocess.run(
            [picgo_shim(), verb, *map(str, icons)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.split("\n")
        assert lines[0] == "[PicGo SUCCESS]: "
        assert len(lines) == 4  # header, two URLs, and the empty string after the last newline
    other = subprocess.run([picgo_shim(), "set", "uploader"], capture_output=True, text=True)
    assert other.returncode == 2
    assert other.stdout.startswith("[PicGo ERROR]:")
    version = subprocess.run([picgo_shim(), "-v"], capture_output=True, text=True, check=True)
    assert version.stdout.strip()
