"""Finding the image references in Markdown, and rewriting exactly those, byte for byte.

Recognised: inline images ``![alt](path "title")`` (also ``<path with spaces>``), reference
definitions ``[id]: path "title"``, HTML ``<img src="path">`` and Obsidian embeds
``![[name.png]]`` / ``![[name.png|300]]``. Never looked into: front matter, fenced and indented
code blocks, code spans and HTML comments. Everything that is not a replaced target is left
exactly as it was, line endings included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["inline", "reference", "html", "embed"]


@dataclass(frozen=True)
class ImageRef:
    start: int  # the span to replace: the target (inline, reference, html) or the whole embed
    end: int
    target: str  # the path or URL as written, without <> or quotes
    kind: Kind
    line: int  # 1-based, for messages
    size: str = ""  # an embed's "|300"


_INLINE = re.compile(
    r"!\[(?:\\.|[^\]\\\n])*\]\(\s*"
    r"(?P<dest><[^<>\n]*>|(?:[^\s()<>\\]|\\.|\([^\s()]*\))+)"
    r"(?:\s+(?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\((?:\\.|[^()\\])*\)))?\s*\)"
)
_REFERENCE = re.compile(
    r"^ {0,3}\[(?:\\.|[^\]\\\n])+\]:[ \t]*\n?[ \t]*"
    r"(?P<dest><[^<>\n]*>|\S+)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$",
    re.MULTILINE,
)
_HTML_IMG = re.compile(
    r"<img\b[^>]*?\bsrc\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<uq>[^\s\"'>]+))",
    re.IGNORECASE,
)
_EMBED = re.compile(r"!\[\[(?P<name>[^\]|\n]+)(?P<size>\|[^\]\n]*)?\]\]")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges that are never rewritten: front matter, code and HTML comments."""
    spans: list[tuple[int, int]] = []
    front = re.match(r"(?:---|\+\+\+)[ \t]*\r?\n", text)
    if front:
        fence = front.group(0).strip()
        closing = re.compile(rf"^{re.escape(fence)}[ \t]*\r?$", re.MULTILINE)
        found = closing.search(text, front.end())
        if found:
            spans.append((0, found.end()))
    spans += _code_blocks(text)
    for match in re.finditer(r"<!--.*?-->", text, re.DOTALL):
        spans.append(match.span())
    spans += _code_spans(text, spans)
    return sorted(spans)


def _code_blocks(text: str) -> list[tuple[int, int]]:
    spans = []
    offset = 0
    open_fence: tuple[str, int] | None = None
    indented_start: int | None = None
    previous_blank = True
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if open_fence is not None:
            marker, start = open_fence
            if re.match(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", bare):
                spans.append((start, offset + len(line)))
                open_fence = None
        else:
            fence = _FENCE.match(bare)
            indented = (bare.startswith(("    ", "\t")) and bare.strip()) and (
                previous_blank or indented_start is not None
            )
            if indented_start is not None and not indented and bare.strip():
                spans.append((indented_start, offset))
                indented_start = None
            if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
                open_fence = (fence.group(2), offset)
            elif indented and indented_start is None:
                indented_start = offset
        previous_blank = not bare.strip()
        offset += len(line)
    if open_fence is not None:  # an unclosed fence runs to the end of the document
        spans.append((open_fence[1], len(text)))
    if indented_start is not None:
        spans.append((indented_start, len(text)))
    return spans


def _code_spans(text: str, blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    position = 0
    opener = re.compile(r"(?<!`)(`+)(?!`)")
    while True:
        match = opener.search(text, position)
        if match is None:
            return spans
        if _inside(match.start(), blocks):
            position = match.end()
            continue
        run = match.group(1)
        closing = re.compile(rf"(?<!`){run}(?!`)")
        end = closing.search(text, match.end())
        if end is None:
            position = match.end()
            continue
        spans.append((match.start(), end.end()))
        position = end.end()


def _inside(index: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= index < end for start, end in spans)


def find_images(text: str) -> list[ImageRef]:
    """Every image reference outside protected spans, in document order."""
    protected = protected_spans(text)
    found: list[ImageRef] = []

    def add(start: int, end: int, target: str, kind: Kind, size: str = "") -> None:
        if not _inside(start, protected):
            found.append(ImageRef(start, end, target, kind, text.count("\n", 0, start) + 1, size))

    for match in _EMBED.finditer(text):
        add(
            match.start(),
            match.end(),
            match.group("name").strip(),
            "embed",
            match.group("size") or "",
        )
    for match in _INLINE.finditer(text):
        dest = match.group("dest")
        start, end = match.span("dest")
        target = dest[1:-1] if dest.startswith("<") else re.sub(r"\\(.)", r"\1", dest)
        add(start, end, target, "inline")
    for match in _REFERENCE.finditer(text):
        dest = match.group("dest")
        start, end = match.span("dest")
        add(start, end, dest[1:-1] if dest.startswith("<") else dest, "reference")
    for match in _HTML_IMG.finditer(text):
        group = next(g for g in ("dq", "sq", "uq") if match.group(g) is not None)
        start, end = match.span(group)
        add(start, end, match.group(group), "html")
    found.sort(key=lambda ref: ref.start)
    return found


def rewrite(text: str, replacements: dict[ImageRef, str]) -> str:
    """``text`` with each reference's span replaced; everything else untouched."""
    pieces = []
    position = 0
    for ref in sorted(replacements, key=lambda r: r.start):
        pieces.append(text[position : ref.start])
        pieces.append(replacements[ref])
        position = ref.end
    pieces.append(text[position:])
    return "".join(pieces)


def is_remote(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) and not re.match(
        r"^[a-zA-Z]:[\\/]",
        target,  # a Windows drive letter is a path
    )
