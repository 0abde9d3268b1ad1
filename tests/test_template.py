from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b2img.errors import ConfigError
from b2img.sources import Digests
from b2img.template import PLACEHOLDERS, Template, sanitize_key

WHEN = datetime(2026, 3, 7, 4, 5, 6, 789000, tzinfo=timezone(timedelta(hours=8)))
DATA = b"not really an image, but bytes all the same"


def render(source: str, name: str = "photo.final.PNG", data: bytes = DATA) -> str:
    return Template.parse(source).render(name=name, digest=Digests(data=data).digest, when=WHEN)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("year", "2026"),
        ("month", "03"),
        ("day", "07"),
        ("hour", "04"),
        ("minute", "05"),
        ("second", "06"),
        ("millisecond", "789"),
        ("timestamp", str(int(WHEN.timestamp()))),
        ("timestampMS", str(int(WHEN.timestamp()) * 1000 + 789)),
        ("fullName", "photo.final.PNG"),
        ("fileName", "photo.final"),
        ("extName", "PNG"),
        ("md5", hashlib.md5(DATA).hexdigest()),
        ("sha1", hashlib.sha1(DATA).hexdigest()),
        ("sha256", hashlib.sha256(DATA).hexdigest()),
    ],
)
def test_each_placeholder(field: str, expected: str) -> None:
    assert render(f"{{{field}}}") == expected


def test_md5_base64_forms_are_url_safe_like_picgo() -> None:
    # Data whose MD5 digest has '+' and '/' in standard base64, so the URL-safe mapping shows.
    data = next(
        d
        for d in (str(i).encode() for i in range(10_000))
        if {"+", "/"} <= set(base64.b64encode(hashlib.md5(d).digest()).decode())
    )
    standard = base64.b64encode(hashlib.md5(data).digest()).decode()
    url_safe = standard.replace("+", "-").replace("/", "_")
    assert render("{md5B64}", data=data) == url_safe.rstrip("=")
    assert render("{md5B64Short}", data=data) == url_safe[:7]


def test_slices_and_truncation() -> None:
    digest = hashlib.sha256(DATA).hexdigest()
    assert render("{sha256:0,2}/{sha256:2,2}/{sha256}.{extName}") == (
        f"{digest[:2]}/{digest[2:4]}/{digest}.PNG"
    )
    assert render("{fileName:5}") == "photo"
    assert render("{year:2,2}") == "26"


def test_picgo_default_template() -> None:
    assert render("{year}/{month}/{fullName}") == "2026/03/photo.final.PNG"


def test_name_without_extension() -> None:
    assert render("{fileName}|{extName}", name="README") == "README|"


def test_unknown_placeholder_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        Template.parse("{year}/{filename}")
    assert "{filename}" in info.value.message
    assert info.value.hint is not None
    for name in PLACEHOLDERS:
        assert f"{{{name}}}" in info.value.hint


@pytest.mark.parametrize("bad", ["{md5:x}", "{md5:1,}", "{}", "{ year }"])
def test_malformed_placeholders_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError):
        Template.parse(bad)


def test_fields_lists_what_the_template_uses() -> None:
    assert Template.parse("{year}/{md5:8}.{extName}").fields == {"year", "md5", "extName"}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("/2026/03/a.png", "2026/03/a.png"),
        ("2026//03/./a.png", "2026/03/a.png"),
        ("a\x00b\x1f\x7fc.png", "abc.png"),
        ("dir\\sub\\a.png", "dir/sub/a.png"),
        ("a/", "a"),
    ],
)
def test_sanitize(raw: str, key: str) -> None:
    assert sanitize_key(raw, template="t") == key


@pytest.mark.parametrize("raw", ["", "/", "./.", "\x00"])
def test_empty_key_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="empty key"):
        sanitize_key(raw, template="t")


def test_dotdot_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'\.\.'"):
        Template.parse("../{fullName}").render_key(
            name="a.png", digest=Digests(data=b"x").digest, when=WHEN
        )


def test_overlong_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="longer than 1024"):
        sanitize_key("a" * 1025, template="t")


@given(st.text(alphabet=st.characters(exclude_characters="{}"), max_size=60))
def test_text_without_braces_renders_as_itself(text: str) -> None:
    assert render(text) == text
