"""Default values shared by the core and the CLI's option declarations (kept import-light)."""

DEFAULT_UPLOAD_PATH = "{year}/{month}/{fullName}"
DEFAULT_CACHE_CONTROL = "public, max-age=31536000, immutable"
ON_CONFLICT = ("rename", "error", "overwrite")
# S.EE took over SM.MS in 2026 and answers the SM.MS API here.
DEFAULT_SMMS_API = "https://s.ee/api/v1/file"
