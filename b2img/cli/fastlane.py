"""The fast lane: a plain `b2img upload FILE…` handed to a running b2img server, before typer,
the config validation or any upload machinery is imported.

An editor runs b2img once per pasted image, so start-up is most of what the user waits for. With
``B2IMG_SERVER`` set, an invocation that uses only files, ``--format``, ``--profile`` and
``--copy/--no-copy`` is sent to the server with the standard library alone, and printed as the
full command would print it. Anything else, or any answer that is not a complete success (an
error, a server that is down or not b2img), returns None and the full command runs instead; it
reports errors in its usual way, and what the server did upload is answered from the history.
"""

from __future__ import annotations  # no typer command here: annotations stay unevaluated

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

# Only `os` and `sys` are imported before the environment says there is a server to talk to:
# every other command passes through here on its way to the full CLI.

SERVER_ENV = "B2IMG_SERVER"
TOKEN_ENV = "B2IMG_SERVER_TOKEN"  # noqa: S105 - a variable name, not a secret
CONNECT_TIMEOUT = 0.5
UPLOAD_TIMEOUT = 300.0


def upload(argv: list[str]) -> int | None:
    """Handle ``argv`` in the fast lane and return the exit status, or None to run the full
    command."""
    if not os.environ.get(SERVER_ENV) or argv[:1] != ["upload"]:
        return None
    parsed = _parse(argv[1:])
    if parsed is None:
        return None
    files, chosen, link_format, copy = parsed
    try:
        profile, fmt = _profile_and_format(chosen, link_format)
    except Exception:  # noqa: BLE001 - any doubt about the config: the full command explains it
        return None
    if profile is None or fmt is None:
        return None
    items = _send(files, profile)
    if items is None:
        return None
    links = [
        fmt.render(url=str(item["imgUrl"]), name=path.stem, key=str(item["key"]))
        for path, item in zip(files, items, strict=True)
    ]
    sys.stdout.write("".join(link + "\n" for link in links))
    sys.stdout.flush()
    if copy:
        _copy("\n".join(links))
    return 0


def _parse(args: list[str]) -> tuple[list[Path], str | None, str | None, bool] | None:
    from pathlib import Path

    files: list[Path] = []
    profile: str | None = None
    link_format: str | None = None
    copy = True
    rest = iter(args)
    options_done = False
    for arg in rest:
        if options_done or not arg.startswith("-") or arg == "-":
            files.append(Path(arg))
        elif arg == "--":
            options_done = True
        elif arg in ("--no-copy", "--copy"):
            copy = arg == "--copy"
        elif arg in ("-f", "--format", "-p", "--profile"):
            value = next(rest, None)
            if value is None:
                return None
            if arg in ("-f", "--format"):
                link_format = value
            else:
                profile = value
        elif arg.startswith(("--format=", "--profile=")):
            name, _, value = arg.partition("=")
            if name == "--format":
                link_format = value
            else:
                profile = value
        else:
            return None  # an option only the full command knows
    if not files or not all(path.is_file() for path in files):
        return None
    return files, profile, link_format, copy


def _profile_and_format(chosen: str | None, link_format: str | None) -> tuple[str | None, Any]:
    """The profile's name and link format, read from the config as the full command would."""
    import tomllib

    from b2img import paths
    from b2img.links import LinkFormat

    data = tomllib.loads(paths.config_path().read_text(encoding="utf-8"))
    profiles = data.get("profiles", {})
    name = chosen or os.environ.get("B2IMG_PROFILE") or data.get("default_profile")
    if not name and len(profiles) == 1:
        name = next(iter(profiles))
    if not isinstance(name, str) or not isinstance(profiles.get(name), dict):
        return None, None
    fmt = LinkFormat.parse(link_format or profiles[name].get("link_format", "markdown"))
    return name, None if fmt.needs_size else fmt


def _send(files: list[Path], profile: str) -> list[dict[str, Any]] | None:
    import json

    try:
        answers, _ = exchange(files, profile)
    except OSError:  # the server went away part-way: the full command says what happened
        return None
    if answers is None:
        return None
    items = []
    for status, raw in answers:
        try:
            answer = json.loads(raw)
            (item,) = answer["fullResult"]
        except (ValueError, KeyError, TypeError):
            return None
        if status != 200 or not answer.get("success") or not item.get("imgUrl"):
            return None
        items.append(item)
    return items


Exchange = tuple[list[tuple[int, bytes]] | None, str]
# The fast lane's last exchange, so that the full command, when it takes over in the same
# process, renders those answers instead of sending the files again.
_last: tuple[tuple[str, ...], str, Exchange] | None = None


def remembered(files: list[Path], profile: str) -> Exchange | None:
    """The answers the fast lane already got for these files and profile, if any."""
    if _last is not None and _last[:2] == (_keys(files), profile):
        return _last[2]
    return None


def _keys(files: list[Path]) -> tuple[str, ...]:
    return tuple(str(path.resolve()) for path in files)


def exchange(files: list[Path], profile: str) -> Exchange:
    """POST each file's path to the b2img server named by $B2IMG_SERVER.

    Returns the (status, body) of each answer, or None and why not: "url" (not an http:// URL),
    "unreachable" (nothing answered at once), or "impostor" (something that is not b2img).
    """
    global _last
    result = _exchange(files, profile)
    _last = (_keys(files), profile, result)
    return result


def _exchange(files: list[Path], profile: str) -> Exchange:
    import http.client
    import json
    from urllib.parse import quote, urlsplit

    parts = urlsplit(os.environ.get(SERVER_ENV, ""))
    if parts.scheme != "http" or not parts.hostname:
        return None, "url"
    headers = {"Content-Type": "application/json"}
    if os.environ.get(TOKEN_ENV):
        headers["Authorization"] = f"Bearer {os.environ[TOKEN_ENV]}"
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port or 80, timeout=CONNECT_TIMEOUT
    )
    answers: list[tuple[int, bytes]] = []
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(UPLOAD_TIMEOUT)
        for path in files:
            body = json.dumps({"list": [str(path.resolve())]})
            connection.request("POST", f"/upload?profile={quote(profile)}", body, headers)
            response = connection.getresponse()
            raw = response.read()
            if not (response.getheader("Server") or "").startswith("b2img"):
                return None, "impostor"
            answers.append((response.status, raw))
    except OSError:
        if answers:
            raise
        return None, "unreachable"
    finally:
        connection.close()
    return answers, ""


def _copy(text: str) -> None:
    from b2img.clipboard import ClipboardUnavailable, copy_text

    try:
        copy_text(text)
    except ClipboardUnavailable as exc:
        label = "Warning:"
        if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
            label = f"\x1b[33m\x1b[1m{label}\x1b[0m"
        sys.stderr.write(f"{label} could not copy the links to the clipboard: {exc}\n")
