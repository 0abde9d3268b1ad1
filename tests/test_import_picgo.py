"""`b2img profile import-picgo` with PicGo-Core, PicGo app and PicList configs written here."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from helpers import write_config, write_png

# The aws-s3 block of the source document's PicGo config, with its comments stripped.
SEED_BLOCK = {
    "_configName": "test-b2",
    "_id": "cf166d49-c702-4d97-8cdf-1594b65ee292",
    "_createdAt": 1729479715614,
    "_updatedAt": 1729496911190,
    "accessKeyID": "0041234567890ab0000000001",
    "secretAccessKey": "K004seedsecretvalue",
    "bucketName": "it-is-just-a-test-bucket",
    "uploadPath": "{year}/{month}/{fullName}",
    "region": None,
    "endpoint": "https://s3.us-east-004.backblazeb2.com",
    "proxy": None,
    "urlPrefix": "https://b2.bere.top",
    "urlSuffix": "",
    "pathStyleAccess": False,
    "rejectUnauthorized": True,
    "acl": "private",
    "disableBucketPrefixToURL": False,
}


def stored() -> dict[str, Any]:
    return tomllib.loads(Path(os.environ["B2IMG_CONFIG"]).read_text())


def write_json(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    return path


def picgo_key_and_url(name: str) -> tuple[str, str]:
    """What picgo-plugin-s3 makes of the seed block: its template, and urlPrefix + '/' + key."""
    now = datetime.now()
    key = f"{now.year}/{now.month:02d}/{name}"
    return key, f"{SEED_BLOCK['urlPrefix']}/{key}"


def test_the_seed_config_gives_the_same_keys_and_links(tmp_path: Path, run) -> None:
    config = write_json(
        tmp_path / "picgo-app" / "data.json",
        {"picBed": {"uploader": "aws-s3", "aws-s3": SEED_BLOCK}},
    )
    done = run("profile", "import-picgo", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "test-b2\n"
    profile = stored()["profiles"]["test-b2"]
    assert profile == {
        "backend": "s3",
        "endpoint": "https://s3.us-east-004.backblazeb2.com",
        "bucket": "it-is-just-a-test-bucket",
        "access_key_id": "0041234567890ab0000000001",
        "secret_access_key": "K004seedsecretvalue",
        "upload_path": "{year}/{month}/{fullName}",
        "url_prefix": "https://b2.bere.top",
        "acl": "private",
    }
    assert stat.S_IMODE(Path(os.environ["B2IMG_CONFIG"]).stat().st_mode) == 0o600
    shown = run("profile", "show", "test-b2")
    assert "us-east-004 (derived from the endpoint)" in shown.stdout
    assert "K004seedsecretvalue" not in shown.stdout
    image = write_png(tmp_path / "cat.png")
    key, url = picgo_key_and_url("cat.png")
    done = run("upload", "--dry-run", "-f", "{key} {url}", str(image))
    assert done.stdout == f"{key} {url}\n"
    spaced = write_png(tmp_path / "my cat.png")
    key, url = picgo_key_and_url("my cat.png")
    done = run("upload", "--dry-run", "-f", "{key} {url}", str(spaced))
    assert done.stdout == f"{key} {url.replace(' ', '%20')}\n"  # b2img encodes the key


def test_multi_config_app_and_notes(tmp_path: Path, run) -> None:
    blog = {**SEED_BLOCK, "_configName": "Blog Images", "outputURLPattern": "{protocol}://x/{path}"}
    work = {
        **SEED_BLOCK,
        "_configName": "Work",
        "bucketName": "work",
        "pathStyleAccess": True,
        "urlPrefix": "https://cdn.work.example/",
        "proxy": "http://proxy:3128",
        "endpoint": "minio.work.example:9000",
    }
    data = {
        "picBed": {"uploader": "aws-s3", "current": "aws-s3", "aws-s3": blog},
        "uploader": {"aws-s3": {"configList": [blog, work], "defaultId": blog["_id"]}},
    }
    config = write_json(tmp_path / "data.json", data)
    done = run("profile", "import-picgo", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["blog-images", "work"]
    assert "not imported: outputURLPattern" in done.stderr
    assert "not imported: proxy" in done.stderr
    profiles = stored()["profiles"]
    assert set(profiles) == {"blog-images", "work"}
    assert profiles["work"]["endpoint"] == "https://minio.work.example:9000"
    assert profiles["work"]["path_style"] is True
    # picgo-plugin-s3 adds the bucket after a custom prefix in path style.
    assert profiles["work"]["url_prefix"] == "https://cdn.work.example/work"
    assert stored()["default_profile"] == "blog-images"


def test_piclist_with_smms(tmp_path: Path, run) -> None:
    data = {
        "uploader": {
            "aws-s3-plist": {"configList": [{**SEED_BLOCK, "_configName": "plist"}]},
            "smms": {
                "configList": [
                    {"_configName": "sm", "token": "abc", "backupDomain": ""},
                    {"_configName": "sm-app", "token": "def", "backupDomain": "smms.app"},
                    {"_configName": "sm-old", "token": "ghi", "backupDomain": "https://sm.ms/"},
                ]
            },
        }
    }
    done = run("profile", "import-picgo", str(write_json(tmp_path / "piclist.json", data)))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "plist\nsm\nsm-app\nsm-old\n"
    profiles = stored()["profiles"]
    # PicGo-Core uploads to S.EE by default, and to another domain's legacy v2 API.
    assert profiles["sm"] == {"backend": "smms", "token": "abc"}
    assert profiles["sm-app"]["api_base"] == "https://smms.app/api/v2"
    assert profiles["sm-old"]["api_base"] == "https://sm.ms/api/v2"
    shown = run("profile", "show", "sm-app", "--json")
    assert json.loads(shown.stdout)["api_base"] == "https://smms.app/api/v2"


def test_the_seed_smms_setup_imports_and_keeps_its_token_out(tmp_path: Path, run) -> None:
    # The source document's second setup: PicGo with SM.MS and the backup domain smms.app.
    data = {
        "picBed": {
            "uploader": "smms",
            "current": "smms",
            "smms": {"token": "seedtoken123", "backupDomain": "smms.app", "extra": 1},
        },
    }
    config = write_json(tmp_path / "data.json", data)
    done = run("profile", "import-picgo", "--secret-env", "SMMS_TOKEN", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "smms\n"
    assert stored()["profiles"]["smms"]["token"] == {"env": "SMMS_TOKEN"}
    assert "seedtoken123" not in Path(os.environ["B2IMG_CONFIG"]).read_text()
    assert "not imported: extra" in done.stderr


def test_existing_profiles_are_kept_unless_forced(tmp_path: Path, run) -> None:
    write_config(
        {
            "test-b2": {
                "endpoint": "https://keep.example",
                "bucket": "keep",
                "access_key_id": "k",
                "secret_access_key": "s",
            }
        }
    )
    config = write_json(tmp_path / "c.json", {"picBed": {"aws-s3": SEED_BLOCK}})
    kept = run("profile", "import-picgo", str(config))
    assert kept.returncode == 3
    assert "profile 'test-b2' exists; kept it" in kept.stderr
    assert stored()["profiles"]["test-b2"]["bucket"] == "keep"
    forced = run("profile", "import-picgo", "--force", str(config))
    assert forced.returncode == 0
    assert stored()["profiles"]["test-b2"]["bucket"] == "it-is-just-a-test-bucket"


def test_secret_env_keeps_the_secret_out(tmp_path: Path, run) -> None:
    config = write_json(tmp_path / "c.json", {"picBed": {"aws-s3": SEED_BLOCK}})
    done = run("profile", "import-picgo", "--secret-env", "B2_KEY", str(config))
    assert done.returncode == 0
    assert stored()["profiles"]["test-b2"]["secret_access_key"] == {"env": "B2_KEY"}
    assert "K004seedsecretvalue" not in Path(os.environ["B2IMG_CONFIG"]).read_text()
    assert "export it before uploading" in done.stderr


def test_missing_fields_are_reported(tmp_path: Path, run) -> None:
    incomplete = {k: v for k, v in SEED_BLOCK.items() if k not in ("bucketName", "endpoint")}
    config = write_json(tmp_path / "c.json", {"picBed": {"aws-s3": incomplete}})
    done = run("profile", "import-picgo", str(config))
    assert done.returncode == 3
    assert "is missing endpoint, bucket" in done.stderr
    assert "Traceback" not in done.stderr


def test_picgo_core_location_and_comments(tmp_path: Path, run) -> None:
    home = Path(os.environ["HOME"])
    text = json.dumps({"picBed": {"aws-s3": SEED_BLOCK}}, indent=2)
    text = text.replace('"bucketName"', '// the private bucket\n  "bucketName"')
    text = "/* PicGo-Core */\n" + text
    (home / ".picgo").mkdir()
    (home / ".picgo" / "config.json").write_text(text)
    done = run("profile", "import-picgo")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "test-b2\n"


def test_nothing_to_import(tmp_path: Path, run) -> None:
    done = run("profile", "import-picgo")
    assert done.returncode == 3
    assert "no PicGo configuration found" in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope")
    done = run("profile", "import-picgo", str(broken))
    assert done.returncode == 3
    assert "not valid JSON (line 1" in done.stderr
    empty = write_json(tmp_path / "empty.json", {"picBed": {"uploader": "github"}})
    assert run("profile", "import-picgo", str(empty)).returncode == 3
