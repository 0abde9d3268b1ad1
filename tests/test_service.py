"""The upload use case with a hand-written fake uploader (logic only; the wire is tested e2e)."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from helpers import write_png

from b2img.backends import StoredObject
from b2img.config import parse_profile
from b2img.errors import AuthError, UploadError
from b2img.links import LinkFormat
from b2img.service import Failed, Uploaded, UploadPlan, upload_files

PROFILE = parse_profile(
    "t",
    {
        "endpoint": "https://s3.us-west-004.backblazeb2.com",
        "bucket": "b",
        "access_key_id": "k",
        "secret_access_key": "s",
        "upload_path": "{year}/{fileName}.{extName}",
        "url_prefix": "https://img.example.com",
    },
)
PLAN = UploadPlan(PROFILE, LinkFormat.parse("url"), clock=lambda: datetime(2026, 1, 2).astimezone())


class FakeUploader:
    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.puts: list[tuple[str, bytes, str]] = []
        self.lock = threading.Lock()

    def put(self, *, key: str, data: bytes, content_type: str, source_name: str) -> StoredObject:
        with self.lock:
            self.puts.append((key, data, content_type))
        if key in self.fail:
            raise self.fail[key]
        return StoredObject(key=key, size=len(data), version_id=f"v-{key}")

    def check(self) -> None:
        return None


def test_outcomes_follow_input_order_whatever_the_completion_order(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"{i}.png", color=(i, 0, 0, 255)) for i in range(30)]
    fake = FakeUploader()
    outcomes = list(upload_files(files, PLAN, uploader=fake, jobs=8))
    assert [o.source for o in outcomes] == [str(f) for f in files]
    assert all(isinstance(o, Uploaded) for o in outcomes)
    assert sorted(k for k, _, _ in fake.puts) == sorted(f"2026/{i}.png" for i in range(30))
    first = outcomes[0]
    assert isinstance(first, Uploaded)
    assert first.url == "https://img.example.com/2026/0.png"
    assert first.version_id == "v-2026/0.png"


def test_dry_run_makes_no_upload(tmp_path: Path) -> None:
    (outcome,) = upload_files([write_png(tmp_path / "a.png")], PLAN, uploader=None)
    assert isinstance(outcome, Uploaded)
    assert outcome.dry_run
    assert outcome.link == "https://img.example.com/2026/a.png"


def test_refused_credentials_stop_further_requests(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"{i}.png") for i in range(5)]
    refused = AuthError("refused")
    fake = FakeUploader({"2026/0.png": refused})
    outcomes = list(upload_files(files, PLAN, uploader=fake, jobs=1))
    assert len(fake.puts) == 1
    assert all(isinstance(o, Failed) and o.error is refused for o in outcomes)


def test_an_ordinary_upload_error_does_not_stop_the_others(tmp_path: Path) -> None:
    files = [write_png(tmp_path / f"{i}.png") for i in range(3)]
    fake = FakeUploader({"2026/1.png": UploadError("boom")})
    outcomes = list(upload_files(files, PLAN, uploader=fake, jobs=1))
    assert [type(o).__name__ for o in outcomes] == ["Uploaded", "Failed", "Uploaded"]
    assert len(fake.puts) == 3


def test_bad_input_is_never_sent(tmp_path: Path) -> None:
    text = tmp_path / "t.png"
    text.write_text("text")
    fake = FakeUploader()
    (outcome,) = upload_files([text], PLAN, uploader=fake)
    assert isinstance(outcome, Failed)
    assert outcome.error.exit_code == 4
    assert fake.puts == []
