from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from helpers import write_config

from b2img import config
from b2img.config import DEFAULT_CACHE_CONTROL
from b2img.errors import ConfigError, ExitCode

EXAMPLE = """\
default_profile = "blog"

[profiles.blog]
backend = "s3"
endpoint = "https://s3.us-west-004.backblazeb2.com"
region = ""
bucket = "my-private-bucket"
access_key_id = "004a0001"
secret_access_key = { env = "B2_APPLICATION_KEY" }
upload_path = "{year}/{month}/{fullName}"
url_prefix = "https://img.example.com"
url_suffix = ""
path_style = false
cache_control = "public, max-age=31536000, immutable"
link_format = "markdown"

[profiles.work]
endpoint = "https://minio.local:9000/"
bucket = "w"
access_key_id = "k"
secret_access_key = { command = "pass show w" }
"""


def config_file() -> Path:
    return Path(os.environ["B2IMG_CONFIG"])


def write(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_parses_the_documented_example() -> None:
    cfg = config.load(write(EXAMPLE))
    blog = cfg.profile(None)
    assert blog.name == "blog"
    assert blog.s3.bucket == "my-private-bucket"
    assert blog.s3.secret_access_key.kind == "env"
    assert blog.upload_path.source == "{year}/{month}/{fullName}"
    work = cfg.profile("work")
    assert work.s3.endpoint == "https://minio.local:9000"  # trailing slash dropped
    assert work.s3.cache_control == DEFAULT_CACHE_CONTROL
    assert work.upload_path.source == "{year}/{month}/{fullName}"
    assert work.link_format.spec == "markdown"
    assert cfg.warnings == ()


def test_missing_config_points_to_init() -> None:
    with pytest.raises(ConfigError) as info:
        config.load(config_file())
    assert info.value.exit_code == ExitCode.CONFIG
    assert info.value.hint == "b2img init"
    assert "no config file" in info.value.message


def test_invalid_toml_names_the_line() -> None:
    with pytest.raises(ConfigError, match="line 3"):
        config.load(write('default_profile = "a"\n\n[profiles.a\n'))


def test_unknown_key_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(EXAMPLE.replace('bucket = "w"', 'bucket_name = "w"')))
    assert "unknown key 'bucket_name'" in info.value.message
    assert info.value.hint == "did you mean 'bucket'?"


def test_unknown_profile_lists_the_profiles() -> None:
    cfg = config.load(write(EXAMPLE))
    with pytest.raises(ConfigError, match=r"'nope' not found \(profiles: blog, work\)"):
        cfg.profile("nope")


def test_unknown_backend_lists_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(EXAMPLE.replace('backend = "s3"', 'backend = "ftp"')))
    assert info.value.hint == "valid backends: s3, smms, local"


def test_missing_required_fields() -> None:
    with pytest.raises(ConfigError, match="missing bucket, access_key_id"):
        config.parse_profile("p", {"endpoint": "https://e", "secret_access_key": "x"})


def test_bad_template_is_reported_at_load_time() -> None:
    with pytest.raises(ConfigError, match=r"profile 'blog': unknown placeholder \{yaer\}"):
        config.load(write(EXAMPLE.replace("{year}/{month}", "{yaer}/{month}")))


def test_default_profile_must_exist() -> None:
    with pytest.raises(ConfigError, match="default_profile 'gone'"):
        config.load(write(EXAMPLE.replace('"blog"\n', '"gone"\n', 1)))


def test_without_default_the_only_profile_is_used() -> None:
    text = EXAMPLE.split("[profiles.work]")[0].replace('default_profile = "blog"\n', "")
    assert config.load(write(text)).profile(None).name == "blog"


def test_without_default_and_several_profiles_asks_to_choose() -> None:
    with pytest.raises(ConfigError, match="no profile chosen"):
        config.load(write(EXAMPLE.replace('default_profile = "blog"\n', ""))).profile(None)


def test_empty_upload_path_means_the_file_name() -> None:
    cfg = config.load(write(EXAMPLE.replace('"{year}/{month}/{fullName}"', '""')))
    assert cfg.profile("blog").upload_path.source == "{fullName}"


@pytest.mark.parametrize(
    ("find", "replace", "message"),
    [
        ('endpoint = "https://s3', 'endpoint = "s3', "must start with https://"),
        ('url_prefix = "https://img', 'url_prefix = "img', "url_prefix 'img.example.com'"),
        ("path_style = false", 'path_style = "no"', "path_style must be true or false"),
        ('bucket = "my-private-bucket"', "bucket = 3", "bucket must be a string"),
        ('{ env = "B2_APPLICATION_KEY" }', '{ file = "x" }', "secret_access_key must be"),
        ('link_format = "markdown"', 'link_format = "{src}"', "unknown placeholder {src}"),
    ],
)
def test_invalid_values(find: str, replace: str, message: str) -> None:
    assert find in EXAMPLE
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        config.load(write(EXAMPLE.replace(find, replace, 1)))


def test_literal_secret_in_readable_file_warns() -> None:
    path = write(EXAMPLE.replace('{ env = "B2_APPLICATION_KEY" }', '"s3cr3t"'))
    assert config.load(path).warnings == ()
    path.chmod(0o644)
    (warning,) = config.load(path).warnings
    assert "readable by others" in warning
    assert "chmod 600" in warning
    assert "s3cr3t" not in warning


def test_env_secret_in_readable_file_does_not_warn() -> None:
    path = write(EXAMPLE)
    path.chmod(0o644)
    assert config.load(path).warnings == ()


def test_save_profile_creates_a_private_file() -> None:
    path = config_file()
    table = {
        "endpoint": "https://e",
        "bucket": "b",
        "access_key_id": "k",
        "secret_access_key": {"env": "V"},
    }
    saved = config.save_profile("new", table, replace=False, make_default=False, path=path)
    assert saved.default_profile == "new"  # the first profile becomes the default
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert config.load(path).profile("new").s3.secret_access_key.value == "V"


def test_save_profile_keeps_comments_and_refuses_to_clobber() -> None:
    path = write("# my notes\n" + EXAMPLE)
    table = {"endpoint": "https://e", "bucket": "b", "access_key_id": "k", "secret_access_key": "s"}
    with pytest.raises(ConfigError, match="already exists"):
        config.save_profile("blog", table, replace=False, make_default=False, path=path)
    config.save_profile("third", table, replace=False, make_default=True, path=path)
    text = path.read_text()
    assert text.startswith("# my notes\n")
    cfg = config.load(path)
    assert cfg.default_profile == "third"
    assert set(cfg.profiles) == {"blog", "work", "third"}
    config.save_profile("blog", table, replace=True, make_default=False, path=path)
    assert config.load(path).profile("blog").s3.bucket == "b"


def test_save_refuses_an_invalid_profile_and_leaves_the_file() -> None:
    path = write(EXAMPLE)
    with pytest.raises(ConfigError, match="unknown placeholder"):
        config.save_profile(
            "x",
            {
                "endpoint": "https://e",
                "bucket": "b",
                "access_key_id": "k",
                "secret_access_key": "s",
                "upload_path": "{nope}",
            },
            replace=False,
            make_default=False,
            path=path,
        )
    assert path.read_text() == EXAMPLE


def test_edits_refuse_a_broken_file() -> None:
    path = write("this is = = not toml")
    with pytest.raises(ConfigError, match="invalid TOML"):
        config.set_default("blog", path=path)
    assert path.read_text() == "this is = = not toml"


def test_remove_and_default() -> None:
    path = write(EXAMPLE)
    config.set_default("work", path=path)
    assert config.load(path).default_profile == "work"
    config.remove_profile("work", path=path)
    cfg = config.load(path)
    assert set(cfg.profiles) == {"blog"}
    assert cfg.default_profile is None
    with pytest.raises(ConfigError, match="not found"):
        config.remove_profile("work", path=path)


def test_profile_names_are_checked() -> None:
    write_config(
        {
            "ok": {
                "endpoint": "https://e",
                "bucket": "b",
                "access_key_id": "k",
                "secret_access_key": "s",
            }
        }
    )
    with pytest.raises(ConfigError, match="not allowed"):
        config.parse_profile("../evil", {})


def test_unreadable_config_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        config.load(tmp_path)


def test_image_table() -> None:
    text = EXAMPLE.replace(
        "[profiles.work]",
        '[profiles.blog.image]\nconvert = "WebP"\nquality = 70\nmax_width = 1600\n'
        "strip_metadata = false\n\n[profiles.work]",
    )
    image = config.load(write(text)).profile("blog").image
    assert (image.convert, image.quality, image.max_width, image.max_height) == (
        "webp",
        70,
        1600,
        None,
    )
    assert image.strip_metadata is False
    assert config.load(write(EXAMPLE)).profile("work").image.strip_metadata is True


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('convert = "bmp"', "convert must be one of"),
        ("quality = 0", "quality must be a whole number from 1 to 100"),
        ("max_width = true", "max_width must be a whole number"),
        ('strip_metadata = "no"', "strip_metadata must be true or false"),
        ("resize = 3", "unknown key 'resize'"),
    ],
)
def test_bad_image_values(line: str, message: str) -> None:
    text = EXAMPLE.replace("[profiles.work]", f"[profiles.blog.image]\n{line}\n\n[profiles.work]")
    with pytest.raises(ConfigError, match=message):
        config.load(write(text))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"backend": "smms"}, "missing token"),
        ({"backend": "smms", "token": "t", "upload_path": "{md5}"}, "upload_path does not apply"),
        ({"backend": "smms", "token": "t", "url_prefix": "https://x"}, "url_prefix does not apply"),
        ({"backend": "smms", "token": "t", "api_base": "s.ee/api"}, "api_base 's.ee/api' must be"),
        ({"backend": "smms", "token": "t", "endpoint": "https://e"}, "endpoint is a setting of"),
        ({"backend": "smms", "token": {"file": "x"}}, "token must be a string"),
        ({"backend": "s3", "directory": "x"}, "directory is a setting of the local backend"),
        ({"backend": "smms", "token": "t", "tokn": "t"}, "unknown key 'tokn'"),
    ],
)
def test_backend_specific_fields(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.parse_profile("p", table)


def test_smms_and_local_profiles() -> None:
    smms = config.parse_profile("p", {"backend": "smms", "token": {"env": "T"}})
    assert isinstance(smms.store, config.SmmsSettings)
    assert smms.store.api_base == "https://s.ee/api/v1/file"
    assert (smms.assigns_keys, smms.destination) == (True, "s.ee")
    legacy = config.parse_profile(
        "p", {"backend": "smms", "token": "t", "api_base": "https://smms.app/api/v2/"}
    )
    assert legacy.destination == "smms.app"
    local = config.parse_profile(
        "p", {"backend": "local", "directory": "~/site/static", "url_prefix": "/"}
    )
    assert local.destination == str(Path.home() / "site" / "static")
    assert local.object_url("2026/a b.png") == "/2026/a%20b.png"
    assert local.secrets() == ()
    with pytest.raises(ConfigError, match="not an S3 profile"):
        _ = local.s3
