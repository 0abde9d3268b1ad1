"""Secrets in the config: a literal, ``{ env = "VAR" }`` or ``{ command = "..." }``.

A secret is resolved only when a command needs it, so listing or showing profiles never reads
an environment variable's value or runs a password manager. Nothing here ever puts the value,
or a command's output, into an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from b2img.errors import ConfigError

COMMAND_TIMEOUT = 60.0  # long enough to type a password-manager passphrase

SecretKind = Literal["literal", "env", "command"]


@dataclass(frozen=True)
class SecretRef:
    kind: SecretKind
    value: str = ""

    @classmethod
    def from_toml(cls, raw: object, *, field: str, profile: str) -> SecretRef:
        if isinstance(raw, str):
            return cls("literal", raw)
        if isinstance(raw, dict) and len(raw) == 1:
            ((kind, value),) = raw.items()
            if kind in ("env", "command") and isinstance(value, str) and value.strip():
                return cls(kind, value)
        raise ConfigError(
            f"profile '{profile}': {field} must be a string, {{ env = \"VAR\" }} "
            'or { command = "..." }',
            hint=f'e.g. {field} = {{ env = "B2_APPLICATION_KEY" }}',
        )

    def to_toml(self) -> str | dict[str, str]:
        return self.value if self.kind == "literal" else {self.kind: self.value}

    def describe(self) -> str:
        """Where the secret comes from, safe to print."""
        if self.kind == "env":
            return f"environment variable {self.value}"
        if self.kind == "command":
            return f"output of command: {self.value}"
        return "stored in the config file (hidden)"

    def resolve(self, *, field: str, profile: str) -> str:
        if self.kind == "literal":
            if not self.value:
                raise ConfigError(
                    f"profile '{profile}': {field} is empty",
                    hint=f"b2img profile add {profile} --force … with the secret",
                )
            return self.value
        if self.kind == "env":
            value = os.environ.get(self.value, "")
            if not value:
                raise ConfigError(
                    f"profile '{profile}': {field} comes from ${self.value}, which is not set",
                    hint=f"export {self.value}=… (the key's secret) and run the command again",
                )
            return value
        return self._run_command(field=field, profile=profile)

    def _run_command(self, *, field: str, profile: str) -> str:
        import subprocess  # only for secrets read from a command

        where = f"profile '{profile}': the command for {field}"
        try:
            done = subprocess.run(  # noqa: S602 - the user's own configured command line
                self.value,
                shell=True,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ConfigError(
                f"{where} did not finish within {COMMAND_TIMEOUT:.0f} s",
                hint="run the command in a shell to see why it waits",
            ) from None
        except OSError as exc:
            raise ConfigError(f"{where} could not start ({exc.strerror})") from None
        if done.returncode != 0:
            raise ConfigError(
                f"{where} failed with exit status {done.returncode}",
                hint="run the command in a shell to see its error",
            )
        value = done.stdout.decode("utf-8", "replace").strip()
        if not value:
            raise ConfigError(f"{where} printed nothing", hint="it must print the secret")
        return value
