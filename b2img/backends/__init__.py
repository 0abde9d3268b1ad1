"""Storage backends, made by one factory."""

from __future__ import annotations

from b2img.backends.base import StoredObject, Uploader
from b2img.config import BACKENDS, Profile
from b2img.errors import ConfigError

__all__ = ["StoredObject", "Uploader", "make_uploader"]


def make_uploader(profile: Profile, *, max_connections: int = 10) -> Uploader:
    """The uploader for ``profile``'s backend; its secret is resolved here, once."""
    if profile.backend == "s3":
        from b2img.backends.s3 import S3Uploader

        secret = profile.s3.secret_access_key.resolve(
            field="secret_access_key", profile=profile.name
        )
        return S3Uploader(
            profile.s3, secret=secret, profile=profile.name, max_connections=max_connections
        )
    raise ConfigError(
        f"profile '{profile.name}': unknown backend '{profile.backend}'",
        hint="valid backends: " + ", ".join(BACKENDS),
    )
