"""botocore's models, parsed once and then read back from b2img's marshal cache."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from b2img.backends.modelcache import CachedJSONFileLoader, cache_dir


def test_a_parsed_file_is_read_back_from_the_cache(tmp_path: Path) -> None:
    model = tmp_path / "service-2.json"
    model.write_text(json.dumps({"shapes": {"A": {"type": "string"}}, "n": 1}))
    stamp = model.stat()
    loader = CachedJSONFileLoader(tmp_path / "cache")
    assert loader.load_file(str(tmp_path / "service-2")) == {
        "shapes": {"A": {"type": "string"}},
        "n": 1,
    }
    (entry,) = (tmp_path / "cache").iterdir()
    # Same size and time, other bytes: only a cache hit can still answer the old content.
    model.write_text(json.dumps({"shapes": {"A": {"type": "string"}}, "n": 2}))
    os.utime(model, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert loader.load_file(str(tmp_path / "service-2"))["n"] == 1
    # A newer file (botocore upgraded) is parsed again.
    os.utime(model, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
    assert loader.load_file(str(tmp_path / "service-2"))["n"] == 2
    # A damaged entry is ignored, and replaced.
    entry.write_bytes(b"\x00garbage")
    assert loader.load_file(str(tmp_path / "service-2"))["n"] == 2
    assert entry.read_bytes() != b"\x00garbage"


def test_gzipped_models_and_missing_files(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "rules.json.gz", "wt") as handle:
        json.dump({"version": "1.0"}, handle)
    loader = CachedJSONFileLoader(tmp_path / "cache")
    assert loader.load_file(str(tmp_path / "rules")) == {"version": "1.0"}
    assert loader.load_file(str(tmp_path / "rules")) == {"version": "1.0"}
    assert loader.load_file(str(tmp_path / "absent")) is None


def test_an_unwritable_cache_only_costs_parsing(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text("[1, 2]")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert CachedJSONFileLoader(blocker / "cache").load_file(str(tmp_path / "m")) == [1, 2]


def test_the_client_fills_the_cache_folder_and_small_uploads_need_neither(
    profile, tmp_path: Path, run
) -> None:
    from helpers import write_png

    done = run("upload", "--no-copy", "-f", "url", str(write_png(tmp_path / "a.png")))
    assert done.returncode == 0, done.stderr
    assert not cache_dir().exists()  # HEAD and PUT went out without botocore's client
    assert cache_dir() == Path(os.environ["XDG_CACHE_HOME"]) / "b2img" / "botocore"
    deleted = run("delete", "--yes", done.stdout.strip())  # deleting builds the client
    assert deleted.returncode == 0, deleted.stderr
    assert len(list(cache_dir().glob("*.marshal"))) >= 3  # the S3 model, its rules, endpoints
    assert profile.list_keys() == []
    moved = tmp_path / "elsewhere"
    again = run("upload", "--no-copy", "-f", "url", str(write_png(tmp_path / "b.png")))
    gone = run("delete", "--yes", again.stdout.strip(), env={"B2IMG_CACHE_DIR": str(moved)})
    assert gone.returncode == 0, gone.stderr
    assert len(list((moved / "botocore").glob("*.marshal"))) >= 3
    listed = run("config", "paths").stdout.splitlines()
    assert listed[2] == f"cache\t{Path(os.environ['XDG_CACHE_HOME']) / 'b2img'}"


def test_the_s3_loader_knows_s3_without_listing_every_service() -> None:
    from b2img.backends.modelcache import S3Loader

    loader = S3Loader()
    assert loader.list_available_services("service-2") == ["s3"]
    assert loader.list_available_services("no-such-type-1") == []
    model = loader.load_service_model("s3", "service-2")
    assert model["metadata"]["serviceId"] == "S3"
