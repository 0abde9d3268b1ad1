"""b2img: upload images to your own bucket and get a Markdown link."""

__version__ = "0.1.0"
