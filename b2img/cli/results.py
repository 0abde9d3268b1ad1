"""Rendering upload outcomes: links on stdout, failures on stderr, or one JSON document."""

from collections.abc import Iterable
from typing import Any, Literal

from b2img.outcomes import Failed, Outcome, Uploaded

from . import output


def render_outcomes(
    outcomes: Iterable[Outcome],
    *,
    command: str,
    profile: str,
    style: Literal["links", "json", "picgo"],
    copy: bool,
    dry_run: bool,
) -> int:
    """Show each outcome as it arrives; return the exit code (the first failure's, else 0).

    ``links`` streams one line per success; ``json`` prints one document at the end; ``picgo``
    prints what PicGo-Core prints: ``[PicGo ERROR]: …`` per failure, then ``[PicGo SUCCESS]: ``
    and the URLs in one write, since some plugins expect the header and the first URL together.
    """
    links: list[str] = []
    results: list[dict[str, Any]] = []
    hints: list[str] = []
    code = 0
    for outcome in outcomes:
        if isinstance(outcome, Uploaded):
            links.append(outcome.link)
            results.append(_uploaded_json(outcome))
            _note(outcome)
            if style == "links":
                output.payload(outcome.link)
            continue
        code = code or int(outcome.error.exit_code)
        results.append(_failed_json(outcome))
        output.error(outcome.error, hint=False, subject=outcome.source)
        if style == "picgo":
            output.payload(f"[PicGo ERROR]: {output.about(outcome.error, outcome.source)}")
        if outcome.error.hint and outcome.error.hint not in hints:
            hints.append(outcome.error.hint)
    for hint in hints:
        output.show_hint(hint)
    if style == "picgo" and links:
        output.payload("[PicGo SUCCESS]: \n" + "\n".join(links))
    if style == "json":
        output.emit_json(
            {
                "version": output.JSON_VERSION,
                "command": command,
                "profile": profile,
                "dry_run": dry_run,
                "ok": code == 0,
                "results": results,
            }
        )
    if copy and links and not dry_run:
        from b2img.clipboard import ClipboardUnavailable, copy_text

        try:
            copy_text("\n".join(links))
        except ClipboardUnavailable as exc:
            output.warn(f"could not copy the links to the clipboard: {exc}")
    return code


def _note(outcome: Uploaded) -> None:
    if outcome.reused == "history":
        output.note(f"{outcome.source}: already uploaded (from the history) → {outcome.key}")
    elif outcome.reused == "store":
        output.note(f"{outcome.source}: the store already holds it → {outcome.key}")
    elif outcome.dry_run:
        before = outcome.original_size
        size = output.human_size(outcome.size)
        if before:
            size = f"{output.human_size(before)} → {size}"
        removed = f"; removed {', '.join(outcome.removed)}" if outcome.removed else ""
        output.note(
            f"would upload {outcome.source} → {outcome.key} ({outcome.content_type}, {size})"
            + removed
        )
    for text in outcome.notes:
        output.note(f"{outcome.source}: {text}")
    if outcome.renamed_from:
        output.note(
            f"{outcome.source}: {outcome.renamed_from} holds other content; stored as {outcome.key}"
        )


def _uploaded_json(outcome: Uploaded) -> dict[str, Any]:
    return {
        "source": outcome.source,
        "ok": True,
        "key": outcome.key,
        "url": outcome.url,
        "link": outcome.link,
        "content_type": outcome.content_type,
        "size": outcome.size,
        "reused": outcome.reused or None,
        "renamed_from": outcome.renamed_from or None,
        "original_size": outcome.original_size or None,
        "removed": list(outcome.removed),
        "notes": list(outcome.notes),
    }


def _failed_json(outcome: Failed) -> dict[str, Any]:
    return {"source": outcome.source, "ok": False, "error": output.error_json(outcome.error)}
