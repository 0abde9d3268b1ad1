"""Storage backends, made by one factory."""

from __future__ import annotations

from b2img.backends.base import StoredObject, Uploader
from b2img.config import BACKENDS, LocalSettings, Profile, S3Settings, SmmsSettings
from b2img.errors import ConfigError

__all__ = ["StoredObject", "Uploader", "make_uploader"]


def make_uploader(profile: Profile, *, max_connections: int = 10) -> Uploader:
    """The uploader for ``profile``'s backend; its secret is resolved here, once."""
    store = profile.store
    if isinstance(store, S3Settings):
        from b2img.backends.s3 import S3Uploader

        secret = store.secret_access_key.resolve(field="secret_access_key", profile=profile.name)
        return S3Uploader(
            store, secret=secret, profile=profile.name, max_connections=max_connections
        )
    if isinstance(store, SmmsSettings):
        from b2img.backends.smms import SmmsUploader

        token = store.token.resolve(field="token", profile=profile.name)
        return SmmsUploader(store, token=token, profile=profile.name)
    if isinstance(store, LocalSettings):
        from b2img.backends.local import LocalUploader

        return LocalUploader(store, profile=profile.name)
    raise ConfigError(  # pragma: no cover - the config refuses other backends when it loads
        f"profile '{profile.name}': unknown backend '{profile.backend}'",
        hint="valid backends: " + ", ".join(BACKENDS),
    )
