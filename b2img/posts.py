"""`b2img md`: upload every local image a Markdown post uses, and point the post at the links."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from b2img.backends.base import Uploader
from b2img.errors import B2ImgError, InputError
from b2img.history import History
from b2img.markdown import ImageRef, find_images, is_remote, rewrite
from b2img.outcomes import Failed, Outcome, Uploaded
from b2img.service import Pending, UploadPlan, upload_pending
from b2img.sources import Source

REMOTE_LIMIT = 32 * 1024 * 1024


@dataclass(frozen=True)
class PostOptions:
    vault: Path | None = None  # where Obsidian embeds are looked up by name
    root: Path | None = None  # what a root-relative path (/images/a.png) is relative to
    include_remote: bool = False  # download http(s) images and host them too


@dataclass
class Post:
    path: Path
    text: str
    refs: list[ImageRef]
    sources: dict[ImageRef, str] = field(default_factory=dict)  # ref -> source key
    missing: list[tuple[ImageRef, str]] = field(default_factory=list)
    new_text: str = ""
    failed: list[tuple[ImageRef, B2ImgError]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new_text != self.text

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=str(self.path),
                tofile=str(self.path),
            )
        )


@dataclass
class Report:
    posts: list[Post]
    outcomes: dict[str, Outcome]  # source key -> what its upload gave

    @property
    def uploaded(self) -> int:
        return sum(1 for o in self.outcomes.values() if isinstance(o, Uploaded) and not o.reused)

    @property
    def reused(self) -> int:
        return sum(1 for o in self.outcomes.values() if isinstance(o, Uploaded) and o.reused)

    @property
    def failures(self) -> list[Failed]:
        return [o for o in self.outcomes.values() if isinstance(o, Failed)]


def read_post(path: Path) -> Post:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(
            f"{path} is not UTF-8 text", hint="b2img md reads UTF-8 Markdown"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return Post(path, text, find_images(text))


class _Vault:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._by_name: dict[str, Path] | None = None

    def find(self, name: str) -> Path | None:
        direct = self.root / name
        if direct.is_file():
            return direct
        if self._by_name is None:
            self._by_name = {}
            for path in sorted(self.root.rglob("*")):
                if path.is_file() and ".obsidian" not in path.parts:
                    self._by_name.setdefault(path.name, path)
        return self._by_name.get(Path(name).name)


def locate(ref: ImageRef, post: Path, options: PostOptions, vault: _Vault | None) -> Path | None:
    """The local file a reference names, or None."""
    target = unquote(ref.target.split("#", 1)[0].split("?", 1)[0])
    if ref.kind == "embed" and vault is not None:
        return vault.find(target)
    if target.startswith("/") and options.root is not None:
        candidate = options.root / target.lstrip("/")
    else:
        candidate = Path(os.path.expanduser(target))  # noqa: PTH111 - a user-written path
        if not candidate.is_absolute():
            candidate = post.parent / candidate
    return candidate if candidate.is_file() else None


def plan_posts(paths: Sequence[Path], options: PostOptions) -> tuple[list[Post], list[Pending]]:
    """Read each post and decide what to upload (each image once, however often it is used)."""
    from b2img.server import download

    vault = _Vault(options.vault) if options.vault else None
    posts = [read_post(path) for path in paths]
    pending: dict[str, Pending] = {}
    for post in posts:
        for ref in post.refs:
            if is_remote(ref.target):
                if options.include_remote and ref.target.startswith(("http://", "https://")):
                    url = ref.target
                    post.sources[ref] = url
                    pending.setdefault(url, Pending(url, _downloader(url, download)))
                continue
            found = locate(ref, post.path, options, vault)
            if found is None:
                post.missing.append((ref, "no such file"))
                continue
            key = str(found.resolve())
            post.sources[ref] = key
            pending.setdefault(key, Pending.from_path(Path(key)))
    return posts, list(pending.values())


def _downloader(url: str, download: Callable[[str, int], Source]) -> Callable[[], Source]:
    return lambda: download(url, REMOTE_LIMIT)


def process(
    paths: Sequence[Path],
    plan: UploadPlan,
    options: PostOptions,
    *,
    uploader: Callable[[], Uploader] | None,
    history: History | None,
    jobs: int = 8,
) -> Report:
    """Upload what the posts need and compute each post's new text (nothing is written here)."""
    posts, pending = plan_posts(paths, options)
    outcomes: dict[str, Outcome] = {}
    results = upload_pending(pending, plan, uploader=uploader, history=history, jobs=jobs)
    for item, outcome in zip(pending, results, strict=True):
        outcomes[item.label] = outcome
    for post in posts:
        replacements: dict[ImageRef, str] = {}
        for ref, key in post.sources.items():
            outcome = outcomes[key]
            if isinstance(outcome, Failed):
                post.failed.append((ref, outcome.error))
                continue
            replacements[ref] = _replacement(ref, outcome)
        post.new_text = rewrite(post.text, replacements)
    return Report(posts, outcomes)


def _replacement(ref: ImageRef, outcome: Uploaded) -> str:
    if ref.kind == "embed":
        alt = Path(ref.target).stem.replace("]", "").replace("[", "")
        return f"![{alt}{ref.size}]({outcome.url})"
    if ref.kind == "html":
        return outcome.url.replace("&", "&amp;").replace('"', "&quot;")
    return outcome.url


def write_atomically(path: Path, text: str, *, backup: bool) -> None:
    """Replace ``path`` with ``text`` in one step (a crash leaves the old or the new file)."""
    data = text.encode("utf-8")
    if backup:
        path.with_name(path.name + ".bak").write_bytes(path.read_bytes())
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
