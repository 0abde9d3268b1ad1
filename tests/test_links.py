from __future__ import annotations

import pytest

from b2img.errors import ConfigError
from b2img.links import LinkFormat, encode_key, markdown_alt, object_url


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("2026/03/a b.png", "2026/03/a%20b.png"),
        ("a+b.png", "a%2Bb.png"),
        ("a#b?c%d.png", "a%23b%3Fc%25d.png"),
        ("图片/截图.png", "%E5%9B%BE%E7%89%87/%E6%88%AA%E5%9B%BE.png"),
        ("😀.png", "%F0%9F%98%80.png"),
        ("a(1)[2]&'.png", "a%281%29%5B2%5D%26%27.png"),
        ("safe-._~.png", "safe-._~.png"),
    ],
)
def test_encode_key(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded


def test_url_on_custom_domain() -> None:
    url = object_url(key="2026/a b.png", url_prefix="https://img.example.com/", url_suffix="!w")
    assert url == "https://img.example.com/2026/a%20b.png!w"


def test_url_without_prefix_virtual_host() -> None:
    url = object_url(
        key="a.png", url_prefix="", endpoint="https://s3.us-west-004.backblazeb2.com", bucket="bk"
    )
    assert url == "https://bk.s3.us-west-004.backblazeb2.com/a.png"


def test_url_without_prefix_path_style() -> None:
    url = object_url(
        key="a.png", url_prefix="", endpoint="http://127.0.0.1:9000/", bucket="bk", path_style=True
    )
    assert url == "http://127.0.0.1:9000/bk/a.png"


def test_named_formats() -> None:
    args = {"url": "https://x/a.png", "name": "a", "key": "a.png"}
    assert LinkFormat.parse("markdown").render(**args) == "![a](https://x/a.png)"
    assert LinkFormat.parse("URL").render(**args) == "https://x/a.png"
    assert LinkFormat.parse("html").render(**args) == '<img src="https://x/a.png" alt="a">'
    assert LinkFormat.parse("bbcode").render(**args) == "[img]https://x/a.png[/img]"


def test_custom_format_with_size() -> None:
    fmt = LinkFormat.parse('<img src="{url}" width="{width}" height="{height}" title="{key}">')
    assert fmt.needs_size
    text = fmt.render(url="u", name="n", key="k", width=3, height=4)
    assert text == '<img src="u" width="3" height="4" title="k">'


def test_alt_text_cannot_break_markdown() -> None:
    fmt = LinkFormat.parse("markdown")
    assert fmt.render(url="u", name="a]b[c\\d\ne", key="k") == r"![a\]b\[c\\d e](u)"
    assert markdown_alt("  many   spaces ") == "many spaces"


def test_html_escapes_attributes() -> None:
    text = LinkFormat.parse("html").render(url="u?a=1&b=2", name='say "hi"', key="k")
    assert text == '<img src="u?a=1&amp;b=2" alt="say &quot;hi&quot;">'


@pytest.mark.parametrize("bad", ["{link}", "no placeholder", "{url} {size}"])
def test_bad_custom_format(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        LinkFormat.parse(bad)
    assert "{url}" in (info.value.hint or "")
