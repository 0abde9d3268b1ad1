"""Overwrite protection, history, delete, retries and large files against the real S3 server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Bucket, b2img_bin
from faultproxy import proxy
from helpers import month, png_bytes, write_png

from b2img.history import History


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_different_image_with_the_same_name_never_replaces_the_first(
    profile: Bucket, tmp_path: Path, run
):
    first = write_png(tmp_path / "one" / "shot.png", color=(1, 1, 1, 255))
    second = write_png(tmp_path / "two" / "shot.png", color=(2, 2, 2, 255))
    assert run("upload", "--no-copy", str(first)).returncode == 0
    done = run("upload", "--no-copy", "-f", "url", str(second))
    assert done.returncode == 0, done.stderr
    renamed = f"{month()}/shot-{sha256(second.read_bytes())[:8]}.png"
    assert done.stdout == f"{profile.prefix}/{renamed}\n"
    assert "holds other content; stored as" in done.stderr
    assert profile.get(f"{month()}/shot.png")["Data"] == first.read_bytes()
    assert profile.get(renamed)["Data"] == second.read_bytes()
    assert profile.get(renamed)["Metadata"] == {"sha256": sha256(second.read_bytes())}


def test_error_policy_names_the_key_and_changes_nothing(profile: Bucket, tmp_path: Path, run):
    first = write_png(tmp_path / "one" / "a.png", color=(1, 1, 1, 255))
    second = write_png(tmp_path / "two" / "a.png", color=(2, 2, 2, 255))
    assert run("upload", "--no-copy", str(first)).returncode == 0
    done = run("upload", "--no-copy", "--on-conflict", "error", str(second))
    assert done.returncode == 6
    assert f"{month()}/a.png already exists with different content" in done.stderr
    assert profile.list_keys() == [f"{month()}/a.png"]
    assert profile.get(f"{month()}/a.png")["Data"] == first.read_bytes()


def test_profile_policy_and_explicit_overwrite(profile: Bucket, tmp_path: Path, run):
    first = write_png(tmp_path / "one" / "a.png", color=(1, 1, 1, 255))
    second = write_png(tmp_path / "two" / "a.png", color=(2, 2, 2, 255))
    profile.use(endpoint=profile.server.endpoint, on_conflict="error")
    assert run("upload", "--no-copy", str(first)).returncode == 0
    assert run("upload", "--no-copy", str(second)).returncode == 6
    done = run("upload", "--no-copy", "--on-conflict", "overwrite", str(second))
    assert done.returncode == 0, done.stderr
    assert profile.get(f"{month()}/a.png")["Data"] == second.read_bytes()


def test_a_repeat_upload_makes_no_request(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "a.png")
    with proxy(profile.server.endpoint) as (endpoint, state):
        profile.use(endpoint=endpoint)
        first = run("upload", "--no-copy", "-f", "url", str(image))
        assert first.returncode == 0, first.stderr
        assert [m for m, _ in state.requests] == ["HEAD", "PUT"]
        state.requests.clear()
        again = run("upload", "--no-copy", "-f", "url", str(image))
        assert again.returncode == 0
        assert again.stdout == first.stdout
        assert state.requests == []  # answered from the history
        assert "already uploaded (from the history)" in again.stderr
        forced = run("upload", "--no-copy", "--force", "-f", "url", str(image))
        assert forced.stdout == first.stdout
        assert [m for m, _ in state.requests] == ["HEAD"]  # the store already holds it


def test_a_batch_of_n_small_files_makes_n_puts_and_one_listing(
    profile: Bucket, tmp_path: Path, run
):
    files = [str(write_png(tmp_path / f"{i}.png", color=(i, 3, 3, 3))) for i in range(12)]
    taken = write_png(tmp_path / "old" / "3.png", color=(99, 9, 9, 9))
    profile.server.client().put_object(
        Bucket=profile.name, Key=f"{month()}/3.png", Body=taken.read_bytes()
    )
    with proxy(profile.server.endpoint) as (endpoint, state):
        profile.use(endpoint=endpoint)
        done = run("upload", "--no-copy", "-f", "{key}", *files)
        assert done.returncode == 0, done.stderr
    # One listing of the month's folder, a HEAD only for the key the listing shows as taken
    # (the renamed key is free by the listing), one PUT per file.
    assert sorted(m for m, _ in state.requests) == ["GET", "HEAD"] + ["PUT"] * 12
    (listing,) = [path for method, path in state.requests if method == "GET"]
    assert "list-type=2" in listing and "delimiter=%2F" in listing
    keys = done.stdout.split()
    assert keys[3] != f"{month()}/3.png"  # renamed: the stored 3.png is other content
    assert profile.get(f"{month()}/3.png")["Data"] == taken.read_bytes()


def test_an_object_stored_by_another_tool_is_recognised_by_md5(profile: Bucket, tmp_path, run):
    image = write_png(tmp_path / "a.png")
    profile.server.client().put_object(
        Bucket=profile.name, Key=f"{month()}/a.png", Body=image.read_bytes()
    )
    done = run("upload", "--no-copy", str(image))
    assert done.returncode == 0
    assert "the store already holds it" in done.stderr
    assert profile.list_keys() == [f"{month()}/a.png"]


def test_history_command(profile: Bucket, tmp_path: Path, run):
    files = [write_png(tmp_path / f"h{i}.png", color=(i, 4, 4, 4)) for i in range(3)]
    assert run("upload", "--no-copy", "-j", "1", *map(str, files)).returncode == 0
    listed = run("history", "--json")
    data = json.loads(listed.stdout)
    assert data["version"] == 1
    uploads = data["uploads"]
    assert [u["source"] for u in uploads] == [str(f) for f in reversed(files)]
    first = uploads[-1]
    assert first["profile"] == "blog"
    assert first["bucket"] == profile.name
    assert first["key"] == f"{month()}/h0.png"
    assert first["url"] == f"{profile.prefix}/{month()}/h0.png"
    assert first["sha256"] == sha256(files[0].read_bytes())
    assert first["size"] == files[0].stat().st_size
    assert first["content_type"] == "image/png"
    assert datetime.fromisoformat(first["uploaded_at"]).tzinfo is not None
    assert len(json.loads(run("history", "--json", "-n", "2").stdout)["uploads"]) == 2
    found = json.loads(run("history", "--json", "--search", "h1.png").stdout)["uploads"]
    assert [u["source"] for u in found] == [str(files[1])]
    assert json.loads(run("history", "--json", "-p", "other").stdout)["uploads"] == []
    table = run("history")
    assert table.returncode == 0
    assert "h2.png" in table.stdout
    assert f"{month()}/h0.png" in table.stdout
    path = run("history", "path").stdout.strip()
    assert path == str(Path(os.environ["B2IMG_DATA_DIR"]) / "history.sqlite3")


def test_history_is_empty_at_first(run):
    done = run("history")
    assert done.returncode == 0
    assert done.stdout == ""
    assert "No uploads" in done.stderr


def versions(bucket: Bucket, key: str) -> list[str]:
    answer = bucket.server.client().list_object_versions(Bucket=bucket.name, Prefix=key)
    entries = answer.get("Versions", []) + answer.get("DeleteMarkers", [])
    return [e["VersionId"] for e in entries if e["Key"] == key]


def test_delete_removes_every_version_and_the_history_row(profile: Bucket, tmp_path: Path, run):
    client = profile.server.client()
    client.put_bucket_versioning(Bucket=profile.name, VersioningConfiguration={"Status": "Enabled"})
    first = write_png(tmp_path / "one" / "d.png", color=(1, 1, 1, 255))
    second = write_png(tmp_path / "two" / "d.png", color=(2, 2, 2, 255))
    url = run("upload", "--no-copy", "-f", "url", str(first)).stdout.strip()
    assert run("upload", "--no-copy", "--on-conflict", "overwrite", str(second)).returncode == 0
    key = f"{month()}/d.png"
    assert len(versions(profile, key)) == 2
    done = run("delete", "--yes", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{key}\n"
    assert "2 version(s)" in done.stderr
    assert versions(profile, key) == []
    assert profile.list_keys() == []
    assert json.loads(run("history", "--json").stdout)["uploads"] == []
    again = run("delete", "--yes", key)
    assert again.returncode == 4
    assert f"{key} is not in bucket" in again.stderr


def test_delete_by_key_json_and_several(profile: Bucket, tmp_path: Path, run):
    files = [write_png(tmp_path / f"k{i}.png", color=(i, 5, 5, 5)) for i in range(2)]
    assert run("upload", "--no-copy", *map(str, files)).returncode == 0
    keys = [f"{month()}/k0.png", f"{month()}/k1.png"]
    done = run("delete", "--yes", "--json", keys[0], f"/{keys[1]}", "nope/none.png")
    assert done.returncode == 4
    data = json.loads(done.stdout)
    assert [r["ok"] for r in data["results"]] == [True, True, False]
    assert data["results"][1]["key"] == keys[1]
    assert profile.list_keys() == []


def test_delete_refuses_a_foreign_link_and_asks_without_yes(profile: Bucket, run):
    foreign = run("delete", "--yes", "https://elsewhere.example.com/a.png")
    assert foreign.returncode == 4
    assert "is not a link of profile 'blog'" in foreign.stderr
    unconfirmed = run("delete", "some/key.png")
    assert unconfirmed.returncode == 2
    assert "needs confirmation" in unconfirmed.stderr
    assert "b2img delete --yes" in unconfirmed.stderr


def test_delete_a_link_with_an_encoded_key(profile: Bucket, tmp_path: Path, run):
    image = write_png(tmp_path / "a b+c 图.png")
    uploaded = run("upload", "--no-copy", "-f", "url", str(image))
    assert uploaded.returncode == 0, uploaded.stderr
    url = uploaded.stdout.strip()
    Path(os.environ["B2IMG_DATA_DIR"], "history.sqlite3").unlink()  # decode the URL itself
    done = run("delete", "--yes", url)
    assert done.returncode == 0, done.stderr
    assert profile.list_keys() == []


def test_fifty_uploads_through_a_faulty_network(profile: Bucket, tmp_path: Path, run):
    files = [write_png(tmp_path / f"f{i:02d}.png", color=(i, 6, 6, 6)) for i in range(50)]
    with proxy(profile.server.endpoint, fault_rate=0.3, seed=7) as (endpoint, state):
        profile.use(endpoint=endpoint)
        done = run("upload", "--no-copy", "-f", "url", "-j", "8", *map(str, files), timeout=300)
    assert state.faults, "the proxy injected no fault"
    assert {"503", "500", "drop-before", "drop-after"} <= set(state.faults)
    printed = done.stdout.splitlines()
    if done.returncode == 0:
        assert len(printed) == 50
    else:
        assert done.returncode in (5, 6)
    for url in printed:
        name = url.rsplit("/", 1)[1]
        stored = profile.get(f"{month()}/{name}")
        assert stored["Data"] == (tmp_path / name).read_bytes()
    rows = json.loads(run("history", "--json", "-n", "100").stdout)["uploads"]
    assert sorted(r["url"] for r in rows) == sorted(printed)


def test_large_file_streams_in_parts_with_bounded_memory(profile: Bucket, tmp_path: Path):
    big = tmp_path / "big.png"
    size = 200 * 1024 * 1024
    with big.open("wb") as handle:
        handle.write(png_bytes())
        block = os.urandom(1024 * 1024)
        while handle.tell() < size:
            handle.write(block[: size - handle.tell()])
    digest = hashlib.sha256()
    with big.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    # The peak is read from the process itself (VmHWM, which exec() starts afresh): a child's
    # rusage would include this test process's memory from before the exec.
    process = subprocess.Popen(
        [b2img_bin(), "upload", "--no-copy", "-f", "url", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak_kib = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert peak_kib > 10 * 1024  # it was measured
    # The process peak stays far below the file size: the file is streamed, not loaded.
    assert peak_kib < 150 * 1024, peak_kib
    key = f"{month()}/big.png"
    client = profile.server.client()
    head = client.head_object(Bucket=profile.name, Key=key)
    assert head["ContentLength"] == size
    assert head["ETag"].strip('"').endswith("-25")  # 8 MiB parts
    assert head["Metadata"] == {"sha256": digest.hexdigest()}
    stored = hashlib.sha256()
    for chunk in client.get_object(Bucket=profile.name, Key=key)["Body"].iter_chunks(1 << 20):
        stored.update(chunk)
    assert stored.hexdigest() == digest.hexdigest()


def test_ctrl_c_mid_batch_leaves_no_row_for_unfinished_uploads(profile: Bucket, tmp_path: Path):
    files = [str(write_png(tmp_path / f"c{i:02d}.png", color=(i, 7, 7, 7))) for i in range(40)]
    with proxy(profile.server.endpoint) as (endpoint, state):
        profile.use(endpoint=endpoint)
        process = subprocess.Popen(
            [b2img_bin(), "upload", "--no-copy", "-j", "2", *files],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while sum(1 for m, _ in state.requests if m == "PUT") < 4:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    stored = set(profile.list_keys())
    assert 0 < len(stored) < 40
    rows = History().search(limit=100)
    assert {r.key for r in rows} <= stored
    printed = out.decode().splitlines()
    assert len(printed) <= len(rows)


def test_concurrent_processes_share_the_history(profile: Bucket, tmp_path: Path):
    groups = [
        [str(write_png(tmp_path / f"p{g}-{i}.png", color=(g, i, 8, 8))) for i in range(5)]
        for g in range(4)
    ]
    processes = [
        subprocess.Popen(
            [b2img_bin(), "upload", "--no-copy", *group],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for group in groups
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    assert len(History().search(limit=100)) == 20


_OPEN_AT_ONCE = """
import sys
from pathlib import Path
from b2img.history import History, Record
folder, name = Path(sys.argv[1]), sys.argv[2]
(folder / f"ready-{name}").touch()
while not (folder / "go").exists():
    pass
history = History(folder / "h.sqlite3")
for index in range(3):
    history.add(Record("blog", "s3", "b", f"{name}-{index}.png", "u", 1, "x"))
"""


def test_processes_creating_the_history_at_once_all_keep_it(tmp_path: Path):
    """Switching a new database to WAL needs the file to itself, and SQLite does not wait for
    it: processes opening a new history at the same moment got "database is locked" (and went
    on without the history) in about one round of five like these."""
    import sys

    for round_ in range(12):
        folder = tmp_path / f"round-{round_}"
        folder.mkdir()
        children = [
            subprocess.Popen(
                [sys.executable, "-c", _OPEN_AT_ONCE, str(folder), str(n)], stderr=subprocess.PIPE
            )
            for n in range(8)
        ]
        deadline = time.monotonic() + 60
        while len(list(folder.glob("ready-*"))) < len(children):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        (folder / "go").touch()  # all at once
        for child in children:
            _, err = child.communicate(timeout=60)
            assert child.returncode == 0, err.decode()
        assert len(History(folder / "h.sqlite3").search(limit=100)) == 8 * 3
        assert not list(folder.glob(".h.sqlite3.*"))  # no private copy left behind


def test_history_schema_migrates_and_refuses_a_newer_one(tmp_path: Path):
    from b2img import history

    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as db:  # a history written by a b2img with schema 1
        history.MIGRATIONS[0](db)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO uploads (profile, backend, bucket, key, url, size, sha256, uploaded_at) "
            "VALUES ('blog', 's3', 'b', 'k.png', 'https://x/k.png', 3, 'abc', '2026-01-01')"
        )
    path.chmod(0o644)
    migrated = History(path)
    (old,) = migrated.search()
    assert (old.key, old.url, old.delete_token) == ("k.png", "https://x/k.png", "")
    migrated.close()
    assert path.stat().st_mode & 0o777 == 0o600  # it holds delete hashes: private
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(history.MIGRATIONS),)
        db.execute("PRAGMA user_version = 99")
    from b2img.errors import ConfigError

    with pytest.raises(ConfigError, match="newer b2img"):
        History(path)


def test_unwritable_data_dir_is_a_warning(profile: Bucket, tmp_path: Path, run):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    done = run(
        "upload",
        "--no-copy",
        str(write_png(tmp_path / "a.png")),
        env={"B2IMG_DATA_DIR": str(blocker / "data")},
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"Warning: cannot create the data directory .*uploading without", done.stderr)
