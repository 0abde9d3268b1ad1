"""`b2img md`: golden pairs, the untouched parts, idempotence, and a fake blog end to end."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Bucket
from fakes import FakeStore, fake_profile, web_server
from helpers import write_png
from hypothesis import given, settings
from hypothesis import strategies as st

from b2img.links import LinkFormat
from b2img.markdown import find_images, rewrite
from b2img.posts import PostOptions, process
from b2img.service import UploadPlan

GOLDEN = Path(__file__).parent / "md"
PROFILE = fake_profile("{fileName}.{extName}")
PLAN = UploadPlan(PROFILE, LinkFormat.parse("url"), clock=lambda: datetime(2026, 1, 2).astimezone())


def blog(tmp_path: Path) -> Path:
    """The files the golden posts refer to."""
    site = tmp_path / "site"
    for index, name in enumerate(["a.png", "my pic.png", "c d.png", "图片.png"]):
        write_png(site / "img" / name, color=(index, 1, 1, 255))
    write_png(site / "vault" / "attachments" / "a.png", color=(9, 1, 1, 255))
    write_png(site / "vault" / "sub" / "diagram.png", color=(8, 1, 1, 255))
    write_png(site / "static" / "images" / "h.png", color=(7, 1, 1, 255))
    return site


@pytest.mark.parametrize("case", sorted(p.name[:-6] for p in GOLDEN.glob("*.in.md")))
def test_golden(case: str, tmp_path: Path) -> None:
    site = blog(tmp_path)
    post = site / f"{case}.md"
    shutil.copyfile(GOLDEN / f"{case}.in.md", post)
    options = PostOptions(
        vault=site / "vault" if case == "obsidian" else None,
        root=site / "static" if case == "hugo" else None,
    )
    store = FakeStore()
    (result,) = process([post], PLAN, options, uploader=lambda: store, history=None).posts
    expected = (GOLDEN / f"{case}.out.md").read_bytes().decode()
    assert result.new_text == expected
    # A second pass over the result finds nothing local left to do.
    post.write_bytes(result.new_text.encode())
    again = process([post], PLAN, options, uploader=lambda: store, history=None)
    assert not again.posts[0].changed
    assert again.outcomes == {}


def test_each_image_is_uploaded_once(tmp_path: Path) -> None:
    site = blog(tmp_path)
    (site / "one.md").write_text("![a](img/a.png)\n![again](./img/a.png)\n")
    (site / "two.md").write_text("![a](img/a.png)\n")
    store = FakeStore()
    report = process(
        [site / "one.md", site / "two.md"],
        PLAN,
        PostOptions(),
        uploader=lambda: store,
        history=None,
    )
    assert store.puts() == ["a.png"]
    assert all(p.changed for p in report.posts)


def test_missing_and_failed_references_stay(tmp_path: Path) -> None:
    from b2img.errors import UploadError

    site = blog(tmp_path)
    post = site / "p.md"
    post.write_text("![a](img/a.png) ![b](img/my%20pic.png) ![gone](img/gone.png)\n")
    store = FakeStore({"my pic.png": UploadError("boom")})
    (result,) = process([post], PLAN, PostOptions(), uploader=lambda: store, history=None).posts
    assert result.new_text == (
        "![a](https://img.example.com/a.png) ![b](img/my%20pic.png) ![gone](img/gone.png)\n"
    )
    assert [ref.target for ref, _ in result.missing] == ["img/gone.png"]
    assert [ref.target for ref, _ in result.failed] == ["img/my%20pic.png"]


@given(st.text(alphabet=st.characters(exclude_characters="!<"), max_size=400))
@settings(max_examples=300)
def test_text_without_image_references_is_unchanged(text: str) -> None:
    assert find_images(text) == []
    assert rewrite(text, {}) == text


@given(st.text(max_size=300))
@settings(max_examples=300)
def test_rewriting_nothing_changes_nothing(text: str) -> None:
    refs = find_images(text)
    assert rewrite(text, {}) == text
    for ref in refs:
        assert 0 <= ref.start <= ref.end <= len(text)


def test_cli_end_to_end_on_a_fake_blog(profile: Bucket, tmp_path: Path, run) -> None:
    site = blog(tmp_path)
    posts = site / "content"
    posts.mkdir()
    (posts / "first.md").write_bytes(
        b"---\r\ntitle: First\r\n---\r\n![a](../img/a.png)\r\n![h](/images/h.png)\r\n"
    )
    (posts / "second.md").write_text("Same image: ![a](../img/a.png)\n![[diagram.png|200]]\n")
    first_before = (posts / "first.md").read_bytes()

    both = [
        "--root",
        str(site / "static"),
        "--vault",
        str(site / "vault"),
        str(posts / "first.md"),
        str(posts / "second.md"),
    ]
    dry = run("md", "--dry-run", *both)
    assert dry.returncode == 0, dry.stderr
    assert "+![a](" in dry.stdout and "-![a](../img/a.png)" in dry.stdout
    assert "2 file(s) would change" in dry.stderr
    assert "would upload: " in dry.stderr and "→ " in dry.stderr
    assert profile.list_keys() == []
    assert (posts / "first.md").read_bytes() == first_before

    done = run("md", *both)
    assert done.returncode == 0, done.stderr
    assert "2 file(s) changed; images: 3 uploaded, 0 reused, 0 missing, 0 failed" in done.stderr
    first = (posts / "first.md").read_bytes()
    assert first.startswith(b"---\r\ntitle: First\r\n---\r\n")
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"")
    assert (posts / "first.md.bak").read_bytes() == first_before
    for line in first.decode().split("\r\n")[3:5]:
        url = line[line.index("(") + 1 : -1]
        status, body, _ = profile.server.signed_get(url)
        assert status == 200
        name = url.rsplit("/", 1)[1]
        source = site / "img" / name if name == "a.png" else site / "static" / "images" / name
        assert body == source.read_bytes()
    second = (posts / "second.md").read_text()
    assert "![diagram|200](" in second

    again = run("md", "--root", str(site / "static"), str(posts / "first.md"))
    assert "0 file(s) changed; images: 0 uploaded" in again.stderr
    history = json.loads(run("history", "--json").stdout)["uploads"]
    assert len(history) == 3


def test_cli_output_and_errors(profile: Bucket, tmp_path: Path, run) -> None:
    site = blog(tmp_path)
    post = site / "p.md"
    post.write_text("![a](img/a.png) ![x](img/none.png)\n")
    done = run("md", "--output", "-", str(post))
    assert done.returncode == 0
    assert done.stdout.startswith(f"![a]({profile.prefix}/")
    assert "img/none.png: no such file (left as it is)" in done.stderr
    assert post.read_text() == "![a](img/a.png) ![x](img/none.png)\n"
    out = tmp_path / "out.md"
    assert run("md", "--output", str(out), str(post)).returncode == 0
    assert out.read_text() == done.stdout
    assert run("md", "--output", "-", str(post), str(post)).returncode == 2
    assert run("md", str(tmp_path / "nope.md")).returncode == 4


def test_include_remote_rehosts_images_only(profile: Bucket, tmp_path: Path, run) -> None:
    web = tmp_path / "web"
    write_png(web / "remote.png", color=(6, 6, 6, 255))
    (web / "page.png").write_text("<html>not an image</html>")
    post = tmp_path / "p.md"
    with web_server(web) as base:
        text = f"![r]({base}/remote.png) ![p]({base}/page.png)\n"
        post.write_text(text)
        plain = run("md", "--no-backup", str(post))
        assert plain.returncode == 0
        assert post.read_text() == text  # remote images are left alone by default
        done = run("md", "--no-backup", "--include-remote", str(post))
    assert done.returncode == 4
    assert "is not an image" in done.stderr
    assert (
        post.read_text()
        == f"![r]({profile.prefix}/{datetime.now():%Y/%m}/remote.png) ![p]({base}/page.png)\n"
    )
    assert not (tmp_path / "p.md.bak").exists()


def test_remote_downloads_are_limited(tmp_path: Path) -> None:
    from b2img.errors import InputError
    from b2img.server import download

    write_png(tmp_path / "big.png", size=(64, 64))
    with web_server(tmp_path) as base:
        url = f"{base}/big.png"
        with pytest.raises(InputError, match="larger than"):
            download(url, 100)
        assert download(url, 10_000).data == (tmp_path / "big.png").read_bytes()
    with pytest.raises(InputError, match="only http"):
        download("file:///etc/passwd", 10_000)
