"""The Cloudflare Worker that serves a private bucket on the user's domain (``index.js``)."""

from pathlib import Path

WORKER_JS = Path(__file__).with_name("index.js")
