"""Start-up stays light: help and version import neither boto3/botocore nor Pillow nor rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "PIL", "rich", "tomlkit")
PROBE = """
import sys
from b2img.cli import main
sys.argv = ["b2img", *{args!r}]
try:
    main()
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["upload", "--help"], ["config", "path"], ["config", "paths"]],
)
def test_light_commands_import_nothing_heavy(args: list[str]) -> None:
    code = PROBE.format(args=args, heavy=set(HEAVY))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1:] in ([], [""]), done.stderr


def test_the_probe_can_see_a_heavy_import() -> None:
    code = PROBE.replace(
        "from b2img.cli import main", "import botocore.session\nfrom b2img.cli import main"
    )
    done = subprocess.run(
        [sys.executable, "-c", code.format(args=["--version"], heavy=set(HEAVY))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "botocore" in done.stderr
