"""The upload use case with a hand-written fake store (logic only; the wire is tested e2e)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fakes import FakeStore, fake_profile
from helpers import png_bytes, write_png

from b2img.errors import AuthError, UploadError
from b2img.history import History
from b2img.links import LinkFormat
from b2img.service import Failed, Uploaded, UploadPlan, hashed_key, upload_files

PROFILE = fake_profile("{year}/{fileName}.{extName}")


def plan(**changes: object) -> UploadPlan:
    clock = lambda: datetime(2026, 1, 2).astimezone()  # noqa: E731
    return UploadPlan(PROFILE, LinkFormat.parse("url"), clock=clock, **changes)  # type: ignore[arg-type]


def test_outcomes_follow_input_order_whatever_the_completion_order(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"{i}.png", color=(i, 0, 0, 255)) for i in range(30)]
    store = FakeStore()
    outcomes = list(upload_files(files, plan(), uploader=lambda: store, jobs=8))
    assert [o.source for o in outcomes] == [str(f) for f in files]
    assert all(isinstance(o, Uploaded) for o in outcomes)
    assert sorted(store.puts()) == sorted(f"2026/{i}.png" for i in range(30))
    first = outcomes[0]
    assert isinstance(first, Uploaded)
    assert first.url == "https://img.example.com/2026/0.png"
    assert first.version_id == "v-2026/0.png"


def test_dry_run_makes_no_upload(tmp_path: Path) -> None:
    (outcome,) = upload_files([write_png(tmp_path / "a.png")], plan(), uploader=None)
    assert isinstance(outcome, Uploaded)
    assert outcome.dry_run
    assert outcome.link == "https://img.example.com/2026/a.png"


def test_refused_credentials_stop_further_requests(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"{i}.png") for i in range(5)]
    refused = AuthError("refused")
    store = FakeStore({"2026/0.png": refused})
    outcomes = list(upload_files(files, plan(), uploader=lambda: store, jobs=1))
    assert store.requests == [("LIST", "2026"), ("PUT-REFUSED", "2026/0.png")]
    assert all(isinstance(o, Failed) and o.error is refused for o in outcomes)
    # One file: a HEAD first, no listing.
    single = FakeStore({"2026/0.png": refused})
    list(upload_files(files[:1], plan(), uploader=lambda: single))
    assert single.requests == [("HEAD", "2026/0.png")]


def test_an_ordinary_error_does_not_stop_the_others(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"{i}.png", color=(i, 1, 1, 1)) for i in range(3)]
    store = FakeStore({"2026/1.png": UploadError("boom")})
    outcomes = list(upload_files(files, plan(), uploader=lambda: store, jobs=1))
    assert [type(o).__name__ for o in outcomes] == ["Uploaded", "Failed", "Uploaded"]
    assert store.puts() == ["2026/0.png", "2026/2.png"]


def test_bad_input_is_never_sent_and_makes_no_client(tmp_path: Path) -> None:
    text = tmp_path / "t.png"
    text.write_text("text")

    def factory() -> FakeStore:
        raise AssertionError("no client should be made")

    (outcome,) = upload_files([text], plan(), uploader=factory)
    assert isinstance(outcome, Failed)
    assert outcome.error.exit_code == 4


def test_same_content_at_the_key_is_reused(tmp_path: Path) -> None:
    image = write_png(tmp_path / "a.png")
    store = FakeStore()
    list(upload_files([image], plan(), uploader=lambda: store))
    (again,) = upload_files([image], plan(), uploader=lambda: store)
    assert isinstance(again, Uploaded)
    assert again.reused == "store"
    assert store.puts() == ["2026/a.png"]


def test_different_content_is_renamed_by_default(tmp_path: Path) -> None:
    store = FakeStore()
    store.objects["2026/a.png"] = (b"older", "0" * 64)
    image = write_png(tmp_path / "a.png")
    (outcome,) = upload_files([image], plan(), uploader=lambda: store)
    assert isinstance(outcome, Uploaded)
    import hashlib

    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    assert outcome.key == f"2026/a-{digest[:8]}.png"
    assert outcome.renamed_from == "2026/a.png"
    assert outcome.url == f"https://img.example.com/2026/a-{digest[:8]}.png"
    assert store.objects["2026/a.png"] == (b"older", "0" * 64)


def test_error_policy(tmp_path: Path) -> None:
    store = FakeStore()
    store.objects["2026/a.png"] = (b"older", "0" * 64)
    (outcome,) = upload_files(
        [write_png(tmp_path / "a.png")], plan(on_conflict="error"), uploader=lambda: store
    )
    assert isinstance(outcome, Failed)
    assert outcome.error.exit_code == 6
    assert "2026/a.png already exists with different content" in outcome.error.message
    assert store.puts() == []


def test_overwrite_policy(tmp_path: Path) -> None:
    store = FakeStore()
    store.objects["2026/a.png"] = (b"older", "0" * 64)
    image = write_png(tmp_path / "a.png")
    (outcome,) = upload_files([image], plan(on_conflict="overwrite"), uploader=lambda: store)
    assert isinstance(outcome, Uploaded)
    assert store.objects["2026/a.png"][0] == image.read_bytes()


def test_history_answers_without_any_request(tmp_path: Path) -> None:
    history = History(tmp_path / "h.sqlite3")
    image = write_png(tmp_path / "a.png")
    store = FakeStore()
    list(upload_files([image], plan(), uploader=lambda: store, history=history))
    made: list[int] = []

    def factory() -> FakeStore:
        made.append(1)
        return store

    copy = tmp_path / "copy-of-a.png"
    copy.write_bytes(image.read_bytes())
    (again,) = upload_files([copy], plan(), uploader=factory, history=history)
    assert isinstance(again, Uploaded)
    assert again.reused == "history"
    assert again.key == "2026/a.png"
    assert made == []  # not even a client
    (forced,) = upload_files([copy], plan(force=True), uploader=factory, history=history)
    assert isinstance(forced, Uploaded)
    assert forced.key == "2026/copy-of-a.png"
    assert made == [1]


@pytest.mark.parametrize(
    ("key", "renamed"),
    [
        ("a/b.png", "a/b-12ab.png"),
        ("b.png", "b-12ab.png"),
        ("a/README", "a/README-12ab"),
        ("a/.png", "a/.png-12ab"),
        ("a/x.tar.gz", "a/x.tar-12ab.gz"),
    ],
)
def test_hashed_key(key: str, renamed: str) -> None:
    assert hashed_key(key, "12ab") == renamed


def test_png_bytes_helper_is_deterministic() -> None:
    assert png_bytes() == png_bytes()


def test_one_client_for_a_whole_batch(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"c{i}.png", color=(i, 2, 2, 2)) for i in range(24)]
    store = FakeStore()
    made: list[int] = []

    def factory() -> FakeStore:
        made.append(1)
        return store

    outcomes = list(upload_files(files, plan(), uploader=factory, jobs=8))
    assert all(isinstance(o, Uploaded) for o in outcomes)
    assert made == [1]
    # One listing of the folder (overwrite protection) and one PUT per file, nothing else.
    assert sorted(m for m, _ in store.requests) == ["LIST"] + ["PUT"] * 24


def test_same_names_in_one_batch_never_overwrite_each_other(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"d{i}" / "pic.png", color=(i, 5, 5, 5)) for i in range(6)]
    twin = write_png(tmp_path / "twin" / "pic.png", color=(0, 5, 5, 5))  # the same bytes as d0
    store = FakeStore()
    outcomes = list(upload_files([*files, twin], plan(), uploader=lambda: store, jobs=7))
    assert all(isinstance(o, Uploaded) for o in outcomes)
    keys = [o.key for o in outcomes if isinstance(o, Uploaded)]
    assert len(set(keys[:6])) == 6  # six different images, six keys
    assert keys[6] == keys[0]  # the twin is the same content: the same key
    for path, key in zip([*files, twin], keys, strict=True):
        assert store.objects[key][0] == path.read_bytes()
    assert len(store.puts()) == 6


def test_overwrite_in_one_batch_writes_one_at_a_time(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"o{i}" / "pic.png", color=(i, 6, 6, 6)) for i in range(4)]
    store = FakeStore()
    outcomes = list(
        upload_files(files, plan(on_conflict="overwrite"), uploader=lambda: store, jobs=4)
    )
    assert [o.key for o in outcomes if isinstance(o, Uploaded)] == ["2026/pic.png"] * 4
    assert store.puts() == ["2026/pic.png"] * 4
    assert store.objects["2026/pic.png"][0] in {f.read_bytes() for f in files}
