from __future__ import annotations

import pytest

from b2img import credentials
from b2img.credentials import SecretRef
from b2img.errors import ConfigError


def test_literal() -> None:
    ref = SecretRef.from_toml("abc", field="secret_access_key", profile="p")
    assert ref.resolve(field="secret_access_key", profile="p") == "abc"
    assert ref.describe() == "stored in the config file (hidden)"
    assert "abc" not in ref.describe()
    assert ref.to_toml() == "abc"


def test_env(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = SecretRef.from_toml({"env": "MY_KEY"}, field="f", profile="p")
    with pytest.raises(ConfigError) as info:
        ref.resolve(field="f", profile="p")
    assert "$MY_KEY" in info.value.message
    assert "export MY_KEY" in (info.value.hint or "")
    monkeypatch.setenv("MY_KEY", "from-env")
    assert ref.resolve(field="f", profile="p") == "from-env"
    assert ref.to_toml() == {"env": "MY_KEY"}


def test_command_output_is_trimmed() -> None:
    ref = SecretRef.from_toml({"command": "printf '  tok3n \\n'"}, field="f", profile="p")
    assert ref.resolve(field="f", profile="p") == "tok3n"


def test_failing_command_names_profile_but_not_output() -> None:
    ref = SecretRef("command", "echo leaked-secret-text; echo more >&2; exit 3")
    with pytest.raises(ConfigError) as info:
        ref.resolve(field="secret_access_key", profile="blog")
    text = f"{info.value} {info.value.hint}"
    assert "profile 'blog'" in text
    assert "exit status 3" in text
    assert "leaked-secret-text" not in text
    assert "more" not in text


def test_command_printing_nothing() -> None:
    with pytest.raises(ConfigError, match="printed nothing"):
        SecretRef("command", "true").resolve(field="f", profile="p")


def test_command_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "COMMAND_TIMEOUT", 0.2)
    with pytest.raises(ConfigError, match="did not finish"):
        SecretRef("command", "sleep 5").resolve(field="f", profile="p")


def test_empty_literal() -> None:
    with pytest.raises(ConfigError, match="is empty"):
        SecretRef("literal", "").resolve(field="f", profile="p")


@pytest.mark.parametrize("raw", [{"env": ""}, {"env": "A", "command": "b"}, 3, {"file": "x"}])
def test_bad_forms(raw: object) -> None:
    with pytest.raises(ConfigError, match="must be a string"):
        SecretRef.from_toml(raw, field="secret_access_key", profile="p")
