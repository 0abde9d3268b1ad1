"""`b2img profile …`, `b2img config …` and `b2img init`, through Typer's test runner."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from conftest import SECRET_ENV, Bucket
from helpers import write_config
from typer.testing import CliRunner

from b2img.cli import app

runner = CliRunner()


def config_path() -> Path:
    return Path(os.environ["B2IMG_CONFIG"])


def stored() -> dict:
    return tomllib.loads(config_path().read_text())


ADD = [
    "profile",
    "add",
    "blog",
    "--endpoint",
    "https://s3.us-west-004.backblazeb2.com",
    "--bucket",
    "my-bucket",
    "--access-key-id",
    "004abc",
    "--secret-access-key-env",
    "B2_APPLICATION_KEY",
    "--upload-path",
    "img/{year}/{md5:8}.{extName}",
    "--url-prefix",
    "https://img.example.com",
]


def test_add_writes_a_private_config() -> None:
    result = runner.invoke(app, ADD)
    assert result.exit_code == 0, result.output
    assert "Saved profile 'blog' (default)" in result.stderr
    assert result.stdout == ""
    assert stat.S_IMODE(config_path().stat().st_mode) == 0o600
    assert stored() == {
        "default_profile": "blog",
        "profiles": {
            "blog": {
                "backend": "s3",
                "endpoint": "https://s3.us-west-004.backblazeb2.com",
                "bucket": "my-bucket",
                "access_key_id": "004abc",
                "secret_access_key": {"env": "B2_APPLICATION_KEY"},
                "upload_path": "img/{year}/{md5:8}.{extName}",
                "url_prefix": "https://img.example.com",
                "cache_control": "public, max-age=31536000, immutable",
                "link_format": "markdown",
            }
        },
    }


def test_add_refuses_to_replace_without_force() -> None:
    assert runner.invoke(app, ADD).exit_code == 0
    again = runner.invoke(app, [*ADD[:-1], "https://other.example.com"])
    assert again.exit_code == 3
    assert "already exists" in again.stderr
    assert stored()["profiles"]["blog"]["url_prefix"] == "https://img.example.com"
    forced = runner.invoke(app, [*ADD[:-1], "https://other.example.com", "--force"])
    assert forced.exit_code == 0
    assert stored()["profiles"]["blog"]["url_prefix"] == "https://other.example.com"


def test_add_checks_the_template() -> None:
    result = runner.invoke(app, [*ADD[:-4], "--upload-path", "{when}/{fullName}"])
    assert result.exit_code == 3
    assert "unknown placeholder {when}" in result.stderr
    assert not config_path().exists()


def test_add_needs_exactly_one_secret_source() -> None:
    base = [a for a in ADD if a not in ("--secret-access-key-env", "B2_APPLICATION_KEY")]
    assert runner.invoke(app, base).exit_code == 2
    both = runner.invoke(app, [*ADD, "--secret-access-key-command", "pass b2"])
    assert both.exit_code == 2
    assert "exactly one" in both.stderr


def test_add_secret_from_stdin_is_stored_but_never_shown() -> None:
    args = [a for a in ADD if a not in ("--secret-access-key-env", "B2_APPLICATION_KEY")]
    result = runner.invoke(app, [*args, "--secret-access-key-stdin"], input="K005-s3cr3t\n")
    assert result.exit_code == 0, result.output
    assert stored()["profiles"]["blog"]["secret_access_key"] == "K005-s3cr3t"
    for command in (["profile", "show", "blog"], ["profile", "show", "blog", "--json"]):
        shown = runner.invoke(app, command)
        assert shown.exit_code == 0
        assert "K005-s3cr3t" not in shown.output
    shown = runner.invoke(app, ["profile", "show", "blog"])
    assert "stored in the config file (hidden)" in shown.stdout


def test_add_with_a_command_secret() -> None:
    args = [a for a in ADD if a not in ("--secret-access-key-env", "B2_APPLICATION_KEY")]
    result = runner.invoke(app, [*args, "--secret-access-key-command", "pass show b2"])
    assert result.exit_code == 0
    assert stored()["profiles"]["blog"]["secret_access_key"] == {"command": "pass show b2"}


def test_list_show_default_remove() -> None:
    assert runner.invoke(app, ADD).exit_code == 0
    work = [*ADD[:2], "work", *ADD[3:], "--path-style", "--link-format", "url"]
    assert runner.invoke(app, work).exit_code == 0
    listed = runner.invoke(app, ["profile", "list"])
    assert listed.stdout.splitlines() == [
        "* blog  s3  my-bucket  https://img.example.com",
        "  work  s3  my-bucket  https://img.example.com",
    ]
    assert runner.invoke(app, ["profile", "default", "work"]).exit_code == 0
    data = json.loads(runner.invoke(app, ["profile", "list", "--json"]).stdout)
    assert data["default_profile"] == "work"
    assert [p["name"] for p in data["profiles"]] == ["blog", "work"]
    shown = runner.invoke(app, ["profile", "show", "work"]).stdout
    assert "region             us-west-004 (derived from the endpoint)" in shown
    assert "secret_access_key  environment variable B2_APPLICATION_KEY" in shown
    assert "path_style         true" in shown
    assert "url_suffix         (empty)" in shown
    shown_json = json.loads(runner.invoke(app, ["profile", "show", "work", "--json"]).stdout)
    assert shown_json["secret_access_key"] == {"source": "env", "name": "B2_APPLICATION_KEY"}
    assert shown_json["link_format"] == "url"
    removed = runner.invoke(app, ["profile", "remove", "work", "--yes"])
    assert removed.exit_code == 0
    assert list(stored()["profiles"]) == ["blog"]
    assert "default_profile" not in stored()


def test_remove_asks_unless_yes() -> None:
    assert runner.invoke(app, ADD).exit_code == 0
    # The test runner's stdin is not a terminal: no prompt, a clear error instead.
    result = runner.invoke(app, ["profile", "remove", "blog"])
    assert result.exit_code == 2
    assert "needs confirmation" in result.stderr
    assert "Hint: b2img profile remove blog --yes" in result.stderr
    assert "blog" in stored()["profiles"]


def test_remove_and_default_of_unknown_profile() -> None:
    assert runner.invoke(app, ADD).exit_code == 0
    for command in (["profile", "remove", "x", "--yes"], ["profile", "default", "x"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 3
        assert "profile 'x' not found (profiles: blog)" in result.stderr


def test_list_empty_config() -> None:
    config_path().parent.mkdir(parents=True)
    config_path().write_text("")
    result = runner.invoke(app, ["profile", "list"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "b2img init" in result.stderr


def test_config_path() -> None:
    result = runner.invoke(app, ["config", "path"])
    assert result.stdout == f"{config_path()}\n"


def test_config_path_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("B2IMG_CONFIG")
    result = runner.invoke(app, ["config", "path"])
    assert result.stdout.startswith(str(tmp_path / "home"))
    assert result.stdout.rstrip().endswith("b2img/config.toml")


def test_config_check(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"endpoint": "https://e", "bucket": "b", "access_key_id": "k"}
    write_config(
        {
            "ok": {**base, "secret_access_key": {"command": "echo x"}},
            "bad": {**base, "secret_access_key": {"env": "UNSET_VAR_B2IMG"}},
        }
    )
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 3
    assert "✓ ok: ok (secret_access_key from output of command: echo x)" in result.stdout
    assert "✗ bad: profile 'bad': secret_access_key comes from $UNSET_VAR_B2IMG" in result.stdout
    assert "export UNSET_VAR_B2IMG" in result.stderr
    assert runner.invoke(app, ["config", "check", "-p", "ok"]).exit_code == 0
    monkeypatch.setenv("UNSET_VAR_B2IMG", "v")
    assert runner.invoke(app, ["config", "check"]).exit_code == 0


def test_config_check_warns_about_a_readable_secret() -> None:
    path = write_config(
        {
            "p": {
                "endpoint": "https://e",
                "bucket": "b",
                "access_key_id": "k",
                "secret_access_key": "s3cr3t",
            }
        }
    )
    path.chmod(0o640)
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 0
    assert "Warning:" in result.stderr
    assert "chmod 600" in result.stderr
    assert "s3cr3t" not in result.output


def init_answers(bucket: Bucket, *, secret_source: str = "env") -> str:
    return (
        "\n".join(
            [
                "site",  # profile name
                "",  # backend: s3, the default
                bucket.server.endpoint,
                bucket.name,
                bucket.server.access_key,
                secret_source,
                SECRET_ENV,
                "",  # upload path: the default
                bucket.prefix,
                "",  # link format: markdown
            ]
        )
        + "\n"
    )


def test_init_checks_the_bucket_and_saves(bucket: Bucket, monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENV, bucket.server.secret_key)
    result = runner.invoke(app, ["init"], input=init_answers(bucket))
    assert result.exit_code == 0, result.output
    assert "The bucket answers and accepts the key." in result.stderr
    profile = stored()["profiles"]["site"]
    assert profile["bucket"] == bucket.name
    assert profile["secret_access_key"] == {"env": SECRET_ENV}
    assert profile["upload_path"] == "{year}/{month}/{fullName}"
    assert stored()["default_profile"] == "site"
    assert stat.S_IMODE(config_path().stat().st_mode) == 0o600


def test_init_with_a_wrong_key_saves_nothing_unless_asked(bucket: Bucket, monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "wrong")
    result = runner.invoke(app, ["init"], input=init_answers(bucket) + "n\n")
    assert result.exit_code == 5
    assert "refused the credentials" in result.stderr
    assert not config_path().exists()
    result = runner.invoke(app, ["init"], input=init_answers(bucket) + "y\n")
    assert result.exit_code == 0
    assert "site" in stored()["profiles"]


def test_init_reprompts_bad_answers_and_stores_a_literal(bucket: Bucket) -> None:
    answers = [
        "blog",
        "ftp",  # not a backend, asked again
        "s3",
        "not-a-url",  # refused, asked again
        bucket.server.endpoint,
        bucket.name,
        bucket.server.access_key,
        "keychain",  # not a choice, asked again
        "file",
        bucket.server.secret_key,
        "{bad}",  # refused, asked again
        "{md5}.{extName}",
        "",
        "",
    ]
    result = runner.invoke(app, ["init"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "enter a URL starting with https://" in result.stderr
    assert "'ftp' is not a backend" in result.stderr
    assert "unknown placeholder {bad}" in result.stderr
    assert bucket.server.secret_key not in result.output
    profile = stored()["profiles"]["blog"]
    assert profile["secret_access_key"] == bucket.server.secret_key
    assert profile["upload_path"] == "{md5}.{extName}"


def test_init_without_the_secret_in_the_environment_skips_the_check(bucket: Bucket) -> None:
    result = runner.invoke(app, ["init"], input=init_answers(bucket))
    assert result.exit_code == 0
    assert f"${SECRET_ENV} is not set in this shell" in result.stderr


def test_version() -> None:
    from b2img import __version__

    result = runner.invoke(app, ["--version"])
    assert result.stdout == f"b2img {__version__}\n"


def test_add_an_smms_and_a_local_profile() -> None:
    smms = ["profile", "add", "pics", "--backend", "smms", "--token-env", "SMMS_TOKEN"]
    result = runner.invoke(app, [*smms, "--link-format", "url"])
    assert result.exit_code == 0, result.output
    local = ["profile", "add", "site", "--backend", "local", "--directory", "~/blog/static"]
    result = runner.invoke(app, [*local, "--url-prefix", "/", "--upload-path", "img/{fullName}"])
    assert result.exit_code == 0, result.output
    assert stored()["profiles"] == {
        "pics": {"backend": "smms", "token": {"env": "SMMS_TOKEN"}, "link_format": "url"},
        "site": {
            "backend": "local",
            "directory": "~/blog/static",
            "upload_path": "img/{fullName}",
            "url_prefix": "/",
            "link_format": "markdown",
        },
    }
    listed = runner.invoke(app, ["profile", "list"]).stdout.splitlines()
    assert listed == [
        "* pics  smms  https://s.ee/api/v1/file",
        "  site  local  ~/blog/static  /",
    ]
    shown = runner.invoke(app, ["profile", "show", "site"]).stdout
    assert f"(here: {Path.home()}/blog/static)" in shown or "(here: ~/blog/static)" in shown
    shown = runner.invoke(app, ["profile", "show", "pics"]).stdout
    assert "token        environment variable SMMS_TOKEN" in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "smms", "--token-env", "T", "--bucket", "b"], "--bucket"),
        (["--backend", "smms", "--token-env", "T", "--upload-path", "{md5}"], "does not apply"),
        (["--backend", "smms"], "exactly one of --token-env"),
        (["--backend", "local", "--url-prefix", "/"], "--directory"),
        (["--backend", "local", "--directory", "static"], "--url-prefix"),
        (["--backend", "ftp"], "'ftp' is not one of s3, smms, local"),
        (["--bucket", "b", "--access-key-id", "k", "--secret-access-key-env", "V"], "--endpoint"),
    ],
)
def test_add_checks_options_against_the_backend(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["profile", "add", "p", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not config_path().exists()


def test_config_check_covers_every_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        {
            "pics": {"backend": "smms", "token": {"env": "SMMS_T"}},
            "site": {"backend": "local", "directory": "static", "url_prefix": "/"},
        }
    )
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 3
    assert "✗ pics: profile 'pics': token comes from $SMMS_T, which is not set" in result.stdout
    assert "✓ site: ok (no secret needed)" in result.stdout
    monkeypatch.setenv("SMMS_T", "x")
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 0
    assert "✓ pics: ok (token from environment variable SMMS_T)" in result.stdout


def test_add_with_an_empty_cache_control_sends_none() -> None:
    result = runner.invoke(app, [*ADD, "--cache-control", ""])
    assert result.exit_code == 0, result.output
    assert stored()["profiles"]["blog"]["cache_control"] == ""
