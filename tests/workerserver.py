"""b2img's Cloudflare Worker served by Miniflare on 127.0.0.1, for the tests.

Miniflare, workerd and aws4fetch come from npm into .tools/worker (scripts/test installs them).
On a developer's machine without them the Worker tests skip; in CI they must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from displays import unavailable

from b2img.worker import WORKER_JS

NODE_MODULES = Path(__file__).resolve().parents[1] / ".tools" / "worker" / "node_modules"
MINIFLARE = NODE_MODULES / "miniflare" / "dist" / "src" / "index.js"
AWS4FETCH = NODE_MODULES / "aws4fetch" / "dist" / "aws4fetch.esm.mjs"
WRANGLER = NODE_MODULES / ".bin" / "wrangler"
SERVE = Path(__file__).parent / "worker" / "serve.mjs"


def need_tools() -> None:
    missing = [str(p) for p in (MINIFLARE, AWS4FETCH, WRANGLER) if not p.exists()]
    if shutil.which("node") is None:
        missing.insert(0, "node")
    if missing:
        unavailable(f"needs {', '.join(missing)} (scripts/test installs them with npm)")


@contextmanager
def running(bindings: dict[str, str], *, script: Path = WORKER_JS) -> Iterator[str]:
    """Serve ``script`` with ``bindings`` (its vars and secrets); yields its base URL."""
    need_tools()
    # Miniflare's own output goes to a file, read only if it fails to start.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            ["node", str(SERVE), str(script), str(AWS4FETCH), json.dumps(bindings)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, "MINIFLARE_MODULE": str(MINIFLARE)},
        )
        assert process.stdout is not None and process.stdin is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline().decode()))
        reader.start()
        reader.join(timeout=60)
        if not lines or not lines[0].startswith("ready "):
            process.kill()
            log.seek(0)
            raise RuntimeError("Miniflare did not start: " + log.read().decode()[-2000:])
        try:
            yield lines[0].split()[1].rstrip("/")
        finally:
            process.stdin.close()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
