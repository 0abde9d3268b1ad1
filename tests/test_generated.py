"""Generated files are regenerated here and compared; UPDATE_GENERATED=1 rewrites them."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import b2img_bin

ROOT = Path(__file__).resolve().parent.parent
COMPLETIONS = {
    "bash": ROOT / "completions" / "b2img.bash",
    "zsh": ROOT / "completions" / "_b2img",
    "fish": ROOT / "completions" / "b2img.fish",
}
COMMANDS_DOC = ROOT / "docs" / "commands.md"
COMMANDS = [
    [],
    ["upload"],
    ["paste"],
    ["md"],
    ["delete"],
    ["server"],
    ["doctor"],
    ["worker"],
    ["worker", "init"],
    ["history"],
    ["history", "path"],
    ["init"],
    ["profile"],
    ["profile", "add"],
    ["profile", "list"],
    ["profile", "show"],
    ["profile", "remove"],
    ["profile", "default"],
    ["profile", "import-picgo"],
    ["config"],
    ["config", "path"],
    ["config", "paths"],
    ["config", "check"],
]


def b2img(*args: str, **env: str) -> str:
    done = subprocess.run(
        [b2img_bin(), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100", "TERM": "dumb", **env},
        check=True,
    )
    return done.stdout


def compare(path: Path, expected: str) -> None:
    if os.environ.get("UPDATE_GENERATED"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.relative_to(ROOT)} is stale; run: scripts/regen"
    )


@pytest.mark.parametrize("shell", sorted(COMPLETIONS))
def test_completion_scripts_are_current(shell: str) -> None:
    compare(COMPLETIONS[shell], b2img(_B2IMG_COMPLETE=f"source_{shell}"))


def test_bash_completion_completes_commands_and_options() -> None:
    words = b2img(_B2IMG_COMPLETE="complete_bash", COMP_WORDS="b2img pro", COMP_CWORD="1")
    assert words.split() == ["profile"]
    words = b2img(_B2IMG_COMPLETE="complete_bash", COMP_WORDS="b2img upload --dr", COMP_CWORD="2")
    assert words.split() == ["--dry-run"]


def commands_doc() -> str:
    parts = [
        "# b2img commands\n",
        "Generated from `b2img … --help` by `scripts/regen`; a test keeps it current.\n",
    ]
    for command in COMMANDS:
        title = " ".join(["b2img", *command])
        parts.append(f"\n## `{title}`\n\n```text\n{b2img(*command, '--help').rstrip()}\n```\n")
    return "".join(parts)


def test_commands_doc_is_current() -> None:
    compare(COMMANDS_DOC, commands_doc())


def test_every_command_is_documented() -> None:
    listed = re.findall(r"^  (\w[\w-]*)  ", b2img("--help"), re.MULTILINE)
    for group in ("profile", "config", "history", "worker"):
        listed += [
            f"{group} {name}"
            for name in re.findall(r"^  (\w[\w-]*)  ", b2img(group, "--help"), re.MULTILINE)
        ]
    documented = {" ".join(c) for c in COMMANDS}
    assert set(listed) <= documented
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in documented - {""}:
        assert f"b2img {command}" in readme, f"README does not mention 'b2img {command}'"
