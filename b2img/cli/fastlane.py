"""The fast lane: a plain `b2img upload FILE…` run without typer, and handed to a running b2img
server before even the config validation or any upload machinery is imported.

An editor runs b2img once per pasted image, so start-up is most of what the user waits for. An
invocation that uses only existing files, ``--format``, ``--profile``, ``--copy/--no-copy``,
``--json`` and ``--jobs`` is run here:

- with ``B2IMG_SERVER`` set (and no ``--json``), the files are sent to the server with the
  standard library alone and printed as the full command would print them; any answer that is
  not a complete success (an error, a server that is down or not b2img) moves on to
- the direct lane: the upload command's own code (``uploading.upload_files``) behind the same
  error boundary as the typer application, without loading typer. It reports errors in its
  usual way, and what the server did upload is answered from the history.

Anything else (another option, a missing file, a usage error such as an unknown --format)
returns None, and the typer application runs the command and reports it.
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


class Plain:
    """A plain upload invocation: the files and the few options the fast lane understands."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.profile: str | None = None
        self.link_format: str | None = None
        self.copy = True
        self.json = False
        self.jobs = 8  # the upload command's default


def upload(argv: list[str]) -> int | None:
    """Handle ``argv`` in the fast lane and return the exit status, or None to run the full
    command."""
    if argv[:1] != ["upload"]:
        return None
    plain = _parse(argv[1:])
    if plain is None:
        return None
    if os.environ.get(SERVER_ENV) and not plain.json:
        code = _hand_over(plain)
        if code is not None:
            return code
    return _direct(plain)


def _direct(plain: Plain) -> int | None:
    """The upload command's own code, behind the typer application's error boundary."""
    from . import output
    from .uploading import RunOptions, UsageProblem, upload_files

    options = RunOptions(
        profile=plain.profile or os.environ.get("B2IMG_PROFILE") or None,
        link_format=plain.link_format,
        json_out=plain.json,
        jobs=plain.jobs,
        dry_run=False,
        copy=plain.copy,
        picgo=False,
    )
    try:
        return upload_files(options, plain.files)
    except UsageProblem:
        return None  # raised before anything is done: typer reports it as a usage error
    except BrokenPipeError:
        from pathlib import Path

        sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - nothing reaches the reader
        return 1
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the CLI's one boundary
        return output.failure(exc)


def _hand_over(plain: Plain) -> int | None:
    """Send the files to the b2img server; None unless every one was uploaded."""
    files = plain.files
    try:
        profile, fmt = _profile_and_format(plain.profile, plain.link_format)
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
    if plain.copy:
        _copy("\n".join(links))
    return 0


def _parse(args: list[str]) -> Plain | None:
    from pathlib import Path

    plain = Plain()
    rest = iter(args)
    options_done = False
    for arg in rest:
        name, equals, attached = arg.partition("=")
        if options_done or not arg.startswith("-") or arg == "-":
            plain.files.append(Path(arg))
        elif arg == "--":
            options_done = True
        elif arg in ("--no-copy", "--copy"):
            plain.copy = arg == "--copy"
        elif arg == "--json":
            plain.json = True
        elif name in ("-f", "--format", "-p", "--profile", "-j", "--jobs") and (
            not equals or name.startswith("--")
        ):
            value = attached if equals else next(rest, None)
            if value is None:
                return None
            if name in ("-f", "--format"):
                plain.link_format = value
            elif name in ("-p", "--profile"):
                plain.profile = value
            elif value.isdecimal() and 1 <= int(value) <= 64:
                plain.jobs = int(value)
            else:
                return None  # typer explains the range
        else:
            return None  # an option only the full command knows
    if not plain.files or not all(path.is_file() for path in plain.files):
        return None
    return plain


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
        from . import output  # light: no typer or rich until a progress bar is drawn

        output.warn(f"could not copy the links to the clipboard: {exc}")
