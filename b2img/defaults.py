"""Default values shared by the core and the CLI's option declarations (kept import-light)."""

DEFAULT_UPLOAD_PATH = "{year}/{month}/{fullName}"
DEFAULT_CACHE_CONTROL = "public, max-age=31536000, immutable"
ON_CONFLICT = ("rename", "error", "overwrite")
