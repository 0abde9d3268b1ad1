"""`b2img worker init`: the project it writes, re-runs that keep edits, and the project built by
wrangler and served by Miniflare."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import workerserver
from conftest import SECRET_ENV, Bucket
from helpers import write_config
from test_worker import IMAGE, KEY, KEY_PATH, Served, worker_bindings

from b2img.worker import WORKER_JS

SECRET = "K004-never-in-a-file"
B2_PROFILE = {
    "endpoint": "https://s3.us-west-004.backblazeb2.com",
    "bucket": "my-private-bucket",
    "access_key_id": "004a0000000000000001",
    "secret_access_key": SECRET,
    "url_prefix": "https://img.example.com",
}


def test_init_writes_a_project_without_secrets(tmp_path: Path, run) -> None:
    write_config({"blog": B2_PROFILE})
    folder = tmp_path / "worker"
    done = run("worker", "init", str(folder), "--profile", "blog")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{folder}\n"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        ".b2img-worker.json",
        ".gitignore",
        "README.md",
        "package.json",
        "src/index.js",
        "wrangler.toml",
    ]
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(), path
    assert (folder / "src/index.js").read_bytes() == WORKER_JS.read_bytes()
    wrangler = tomllib.loads((folder / "wrangler.toml").read_text())
    assert wrangler["main"] == "src/index.js"
    assert wrangler["vars"] == {
        "B2_ENDPOINT": "s3.us-west-004.backblazeb2.com",
        "BUCKET_NAME": "my-private-bucket",
        "ALLOW_LIST_BUCKET": "false",
    }
    assert wrangler["routes"] == [{"pattern": "img.example.com", "custom_domain": True}]
    package = json.loads((folder / "package.json").read_text())
    assert package["dependencies"] == {"aws4fetch": "1.0.20"}
    assert package["devDependencies"] == {"wrangler": "4.86.0"}  # exact pins, no ranges
    readme = (folder / "README.md").read_text()
    assert "npx wrangler secret put B2_APPLICATION_KEY_ID" in readme
    assert "Read" in readme and "my-private-bucket" in readme


def test_rerun_updates_its_own_files_and_keeps_edits(tmp_path: Path, run) -> None:
    write_config({"blog": B2_PROFILE})
    folder = tmp_path / "worker"
    assert run("worker", "init", str(folder)).returncode == 0
    again = run("worker", "init", str(folder))
    assert again.returncode == 0
    assert again.stderr.count("unchanged") == 5
    # A new bucket in the profile: b2img's own, unedited wrangler.toml is updated.
    write_config({"blog": {**B2_PROFILE, "bucket": "renamed-bucket"}})
    updated = run("worker", "init", str(folder))
    assert updated.returncode == 0, updated.stderr
    assert "updated" in updated.stderr
    assert 'BUCKET_NAME = "renamed-bucket"' in (folder / "wrangler.toml").read_text()
    # The user's edit is kept: nothing is written, and --force is named.
    edited = (folder / "wrangler.toml").read_text().replace('"false"', '"true"')
    (folder / "wrangler.toml").write_text(edited)
    write_config({"blog": B2_PROFILE})
    refused = run("worker", "init", str(folder))
    assert refused.returncode == 3
    assert "wrangler.toml" in refused.stderr and "changed since b2img wrote it" in refused.stderr
    assert "--force" in refused.stderr
    assert (folder / "wrangler.toml").read_text() == edited
    forced = run("worker", "init", str(folder), "--force")
    assert forced.returncode == 0
    assert 'BUCKET_NAME = "my-private-bucket"' in (folder / "wrangler.toml").read_text()


def test_endpoint_forms_and_other_backends(tmp_path: Path, run) -> None:
    write_config(
        {
            "minio": {
                **B2_PROFILE,
                "endpoint": "http://127.0.0.1:9000",
                "region": "eu-1",
                "url_prefix": "https://img.example.com/pics",
                "path_style": True,
            },
            "pics": {"backend": "smms", "token": "t"},
        }
    )
    done = run("worker", "init", str(tmp_path / "w"), "-p", "minio")
    assert done.returncode == 0, done.stderr
    wrangler = tomllib.loads((tmp_path / "w" / "wrangler.toml").read_text())
    assert wrangler["vars"]["B2_ENDPOINT"] == "http://127.0.0.1:9000"
    assert wrangler["vars"]["B2_REGION"] == "eu-1"
    assert "routes" not in wrangler
    assert "no https:// url_prefix host" in done.stderr
    refused = run("worker", "init", str(tmp_path / "s"), "-p", "pics")
    assert refused.returncode == 3
    assert "the Worker serves S3 buckets" in refused.stderr
    assert not (tmp_path / "s").exists()


def test_the_generated_project_builds_and_serves(
    tmp_path: Path, bucket: Bucket, run, monkeypatch: pytest.MonkeyPatch
) -> None:
    workerserver.need_tools()
    monkeypatch.setenv(SECRET_ENV, bucket.server.secret_key)
    bucket.use()
    folder = tmp_path / "worker"
    assert run("worker", "init", str(folder)).returncode == 0
    (folder / "node_modules").symlink_to(workerserver.NODE_MODULES)
    built = subprocess.run(
        [str(workerserver.WRANGLER), "deploy", "--dry-run", "--outdir", "dist"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "1"},
        timeout=180,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    bundle = folder / "dist" / "index.js"
    assert "AwsClient" in bundle.read_text()  # aws4fetch bundled in from npm
    bucket.server.client().put_object(Bucket=bucket.name, Key=KEY, Body=IMAGE)
    vars_ = tomllib.loads((folder / "wrangler.toml").read_text())["vars"]
    key = bucket.server.read_only_key(bucket.name)
    bindings = {**worker_bindings(bucket.server.endpoint, bucket.name, key), **vars_}
    assert bindings["BUCKET_NAME"] == bucket.name
    with workerserver.running(bindings, script=bundle) as url:
        status, body, _ = Served(url, bucket, None, "").get(KEY_PATH)  # type: ignore[arg-type]
    assert (status, body) == (200, IMAGE)
