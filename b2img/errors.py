"""Exit codes and the one exception tree every failure travels through.

Each error class carries its exit code, so the CLI's single boundary turns any of them into a
message and a status without a lookup table. Messages are built from fields the caller chose;
nothing here ever formats a secret.
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ExitCode(enum.IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    CONFIG = 3
    INPUT = 4
    AUTH = 5
    UPLOAD = 6
    INTERRUPTED = 130


class B2ImgError(Exception):
    """A failure the user can act on: what failed, where, and the fix."""

    exit_code: ClassVar[ExitCode] = ExitCode.UNEXPECTED
    kind: ClassVar[str] = "error"

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def __str__(self) -> str:
        return f"{self.message} [{self.where}]" if self.where else self.message


class ConfigError(B2ImgError):
    exit_code = ExitCode.CONFIG
    kind = "config"


class InputError(B2ImgError):
    exit_code = ExitCode.INPUT
    kind = "input"


class AuthError(B2ImgError):
    exit_code = ExitCode.AUTH
    kind = "auth"


class UploadError(B2ImgError):
    exit_code = ExitCode.UPLOAD
    kind = "upload"


class Interrupted(B2ImgError):
    exit_code = ExitCode.INTERRUPTED
    kind = "interrupted"
