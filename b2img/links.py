"""Object URLs and the link text printed for them. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from b2img.errors import ConfigError

NAMED_FORMATS = {
    "markdown": "![{alt}]({url})",
    "url": "{url}",
    "html": '<img src="{url}" alt="{alt}">',
    "bbcode": "[img]{url}[/img]",
}
LINK_FIELDS = ("url", "name", "key", "width", "height")
_TOKEN = re.compile(r"\{([^{}]*)\}")


def encode_key(key: str) -> str:
    """Percent-encode a key segment by segment (RFC 3986: only unreserved characters stay)."""
    return "/".join(quote(segment, safe="-._~") for segment in key.split("/"))


def object_url(
    *,
    key: str,
    url_prefix: str,
    url_suffix: str = "",
    endpoint: str = "",
    bucket: str = "",
    path_style: bool = False,
) -> str:
    """The public URL of ``key``: on the custom domain if there is one, else on the endpoint."""
    path = encode_key(key)
    if url_prefix:
        return f"{url_prefix.rstrip('/')}/{path}{url_suffix}"
    parts = urlsplit(endpoint)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    if path_style:
        return f"{base}/{quote(bucket, safe='')}/{path}{url_suffix}"
    return f"{parts.scheme}://{bucket}.{parts.netloc}{parts.path.rstrip('/')}/{path}{url_suffix}"


@dataclass(frozen=True)
class LinkFormat:
    """A named format or a custom template using {url} {name} {key} {width} {height}."""

    spec: str
    template: str

    @classmethod
    def parse(cls, spec: str) -> LinkFormat:
        template = NAMED_FORMATS.get(spec.lower())
        if template is not None:
            return cls(spec.lower(), template)
        fields = set(_TOKEN.findall(spec))
        unknown = sorted(fields - set(LINK_FIELDS))
        if unknown or not fields:
            bad = f"unknown placeholder {{{unknown[0]}}}" if unknown else "no placeholder"
            raise ConfigError(
                f"link format '{spec}' has {bad}",
                hint="use markdown, url, html, bbcode, or a template with "
                + " ".join(f"{{{f}}}" for f in LINK_FIELDS),
            )
        return cls(spec, spec)

    @property
    def needs_size(self) -> bool:
        return "{width}" in self.template or "{height}" in self.template

    def render(
        self, *, url: str, name: str, key: str, width: int | None = None, height: int | None = None
    ) -> str:
        values = {
            "url": url,
            "name": name,
            "key": key,
            "width": "" if width is None else str(width),
            "height": "" if height is None else str(height),
        }
        if self.spec == "markdown":
            values["alt"] = markdown_alt(name)
        elif self.spec == "html":
            from html import escape

            values["alt"] = escape(name)
            values["url"] = escape(url)
        return _TOKEN.sub(lambda m: values[m.group(1)], self.template)


def markdown_alt(text: str) -> str:
    """Alt text that cannot end the ``![...]`` early or break the line."""
    text = " ".join(text.split())
    return re.sub(r"([\\\[\]])", r"\\\1", text)
