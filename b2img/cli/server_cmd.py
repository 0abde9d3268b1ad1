"""`b2img server`: PicGo's HTTP API for editor plugins, on loopback, safe by default."""

import threading
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import output
from .common import ProfileOption

if TYPE_CHECKING:
    from b2img.backends import Uploader
    from b2img.config import Config, Profile
    from b2img.sources import Source

DEFAULT_PORT = 36677
# A file modified this recently may be modified again within the same tick of the file system's
# clock, unseen by its timestamps: it is read again on every request until it has settled.
SETTLE_NS = 2_000_000_000


def server(
    host: Annotated[
        str, typer.Option(help="Address to listen on. Beyond loopback a token is required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (PicGo's is 36677).")] = (
        DEFAULT_PORT
    ),
    profile: ProfileOption = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="B2IMG_SERVER_TOKEN",
            help="Token clients may send (Authorization: Bearer, X-PicGo-Secret, ?key=).",
            show_default=False,
        ),
    ] = None,
    require_token: Annotated[
        bool, typer.Option("--require-token", help="Refuse requests without the token.")
    ] = False,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-origin",
            metavar="ORIGIN",
            help="Also accept browser requests from this origin (app://obsidian.md always is).",
            show_default=False,
        ),
    ] = None,
    print_config: Annotated[
        bool, typer.Option("--print-config", help="Print the settings to give editors, and exit.")
    ] = False,
) -> None:
    """Serve PicGo's upload API (POST /upload, POST /heartbeat) for editor plugins."""
    from b2img.server import DEFAULT_ORIGINS, Settings, is_loopback

    must_token = require_token or not is_loopback(host)
    if must_token and not token:
        raise typer.BadParameter(
            "a token is required here: pass --token or set B2IMG_SERVER_TOKEN",
            param_hint="--require-token" if require_token else "--host",
        )
    settings = Settings(
        host=host,
        port=port,
        token=token or "",
        require_token=must_token,
        allowed_origins=frozenset([*DEFAULT_ORIGINS, *(allow_origin or [])]),
    )
    if print_config:
        _print_config(settings)
        return
    run_server(settings, profile)


def run_server(
    settings: Any, default_profile: str | None, stop: threading.Event | None = None
) -> None:
    import signal

    from b2img.server import Handler, serve

    from .common import load_config

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(0)  # stop serving and exit cleanly, as on Ctrl-C

    signal.signal(signal.SIGTERM, terminate)
    load_config().profile(default_profile)  # a broken config fails now, not on a request
    state = _State(default_profile)
    handler = Handler(settings, state.upload, state.clipboard)

    def ready(port: int) -> None:
        auth = ", token required" if settings.require_token else ""
        output.note(f"b2img server listening on http://{settings.host}:{port}/upload{auth}")

    serve(settings, handler, log=output.note, ready=ready, stop=stop)


class _State:
    """Per-server state: one uploader (and its connections) per profile, one history."""

    def __init__(self, default_profile: str | None) -> None:
        from .run import open_history

        self.default_profile = default_profile
        self.history = open_history()
        self.uploaders: dict[Any, Uploader] = {}
        self.lock = threading.Lock()
        self._config: tuple[tuple[int, ...], Config] | None = None

    def config(self) -> "Config":
        """The config file, parsed again only when it has changed: an edit applies to the next
        request without parsing the file (and repeating its warnings) on every one."""
        from b2img import paths

        from .common import load_config

        try:
            info = paths.config_path().stat()
        except OSError:
            return load_config()  # missing or unreadable: loading says what is wrong
        # Taken before reading: a change made while the file is read shows up next time.
        signature = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        settled = time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) > SETTLE_NS
        with self.lock:
            cached = self._config
        if settled and cached is not None and cached[0] == signature:
            return cached[1]
        config = load_config()
        with self.lock:
            self._config = (signature, config)
        return config

    def uploader(self, profile: "Profile") -> "Uploader":
        from b2img.backends import make_uploader

        key = (profile.name, profile.store)
        with self.lock:
            if key not in self.uploaders:
                self.uploaders[key] = make_uploader(profile, max_connections=16)
            return self.uploaders[key]

    def upload(self, name: str | None, sources: list["Source"]) -> list[dict[str, Any]]:
        from b2img.errors import ConfigError, InputError
        from b2img.links import LinkFormat
        from b2img.service import Pending, Uploaded, UploadPlan, upload_pending

        try:
            chosen = self.config().profile(name or self.default_profile)
        except ConfigError as exc:
            if name:  # a profile the request asked for: the client's mistake
                raise InputError(exc.message, hint=exc.hint) from None
            raise
        plan = UploadPlan(
            chosen, LinkFormat.parse("url"), on_conflict=chosen.on_conflict, image=chosen.image
        )
        items = [Pending.from_source(source) for source in sources]
        outcomes = list(
            upload_pending(
                items, plan, uploader=lambda: self.uploader(chosen), history=self.history, jobs=8
            )
        )
        results = []
        for outcome in outcomes:
            if not isinstance(outcome, Uploaded):
                raise outcome.error
            name_part = outcome.key.rsplit("/", 1)[-1]
            results.append(
                {
                    "imgUrl": outcome.url,
                    "fileName": name_part,
                    "extname": "." + name_part.rsplit(".", 1)[-1] if "." in name_part else "",
                    "key": outcome.key,
                    "size": outcome.size,
                    "contentType": outcome.content_type,
                    "type": "b2img",
                    "profile": chosen.name,
                }
            )
        return results

    def clipboard(self) -> list["Source"]:
        from b2img.clipboard import read_clipboard
        from b2img.sources import clipboard_source, read_source

        content = read_clipboard()
        if content.files:
            return [read_source(path) for path in content.files]
        return [clipboard_source(content.image, name=None)]


def _print_config(settings: Any) -> None:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104 - comparing, not binding
    url = f"http://{host}:{settings.port}/upload"
    key = "?key=<your token>" if settings.token else ""
    output.payload(f"Upload URL (PicGo server): {url}{key}")
    output.payload(f"Heartbeat:                  http://{host}:{settings.port}/heartbeat")
    output.payload(
        "Obsidian, Image auto upload: uploader PicGo(app), PicGo server = the upload URL"
    )
    output.payload("Typora: use the custom command `b2img upload --format url` instead")
    origins = ", ".join(sorted(settings.allowed_origins))
    output.payload(f"Browser origins allowed:    {origins}")
