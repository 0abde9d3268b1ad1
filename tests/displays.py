"""Real display servers for clipboard tests: Xvfb (X11) and headless sway (Wayland)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REQUIRE_ALL = os.environ.get("B2IMG_REQUIRE_ALL") == "1"


def need(*tools: str) -> None:
    """Skip when a tool is missing on a developer's machine; fail in CI, where it must be."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        unavailable(f"needs {', '.join(missing)} (scripts/test installs them with apt-get)")


def unavailable(message: str) -> None:
    """A tool a test needs is missing: skip here, but fail in CI, where it must be."""
    if REQUIRE_ALL:
        pytest.fail(message)
    pytest.skip(message)  # pragma: no cover - only on machines without the tools


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """An Xvfb server on a free display number; yields the DISPLAY value."""
    need("Xvfb", "xclip")
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "320x240x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as reader:
            number = reader.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not report a display number")
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def sway() -> Iterator[dict[str, str]]:
    """A headless sway compositor; yields XDG_RUNTIME_DIR and WAYLAND_DISPLAY for clients.

    sway refuses to run as root, so as root it runs as 'nobody' in a runtime dir it owns.
    """
    need("sway", "wl-copy", "wl-paste")
    runtime = Path(tempfile.mkdtemp(prefix="b2img-wl-"))
    config = runtime.parent / f"{runtime.name}.sway.conf"
    config.write_text("output HEADLESS-1 resolution 320x240\n")
    config.chmod(0o644)
    command = ["sway", "-c", str(config)]
    if os.geteuid() == 0:
        os.chown(runtime, 65534, 65534)
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    runtime.chmod(0o700)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(runtime),
        "XDG_RUNTIME_DIR": str(runtime),
        "WLR_BACKENDS": "headless",
        "WLR_LIBINPUT_NO_DEVICES": "1",
        "WLR_RENDERER": "pixman",
    }
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while not (runtime / "wayland-1").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sway did not start")
            time.sleep(0.05)
        yield {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": "wayland-1"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(runtime, ignore_errors=True)
        config.unlink(missing_ok=True)


def x_put(display: str, target: str, data: bytes) -> None:
    """Own the X clipboard with ``data`` offered as ``target`` (xclip keeps serving it)."""
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-target", target, "-in"],
        input=data,
        env={**os.environ, "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=10,
    )


def x_get(display: str) -> str:
    done = subprocess.run(
        ["xclip", "-selection", "clipboard", "-out"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        check=True,
        timeout=10,
    )
    return done.stdout.decode()


def wl_put(env: dict[str, str], mime: str, data: bytes) -> None:
    subprocess.run(
        ["wl-copy", "--type", mime],
        input=data,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=10,
    )


def wl_get(env: dict[str, str]) -> str:
    done = subprocess.run(
        ["wl-paste", "--no-newline"],
        env={**os.environ, **env},
        capture_output=True,
        check=True,
        timeout=10,
    )
    return done.stdout.decode()
