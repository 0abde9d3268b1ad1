"""Behaviour that depends on a terminal or on signals: progress, colour, Ctrl-C, completion."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

from conftest import SECRET_ENV, Bucket, b2img_bin
from helpers import png_bytes, write_config, write_png

ROOT = Path(__file__).resolve().parent.parent


def read_all(fd: int, proc: subprocess.Popen[bytes]) -> bytes:
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


def test_progress_and_colour_go_to_a_terminal_stderr_only(profile: Bucket, tmp_path: Path):
    files = [str(write_png(tmp_path / f"p{i}.png", color=(i, 1, 1, 1))) for i in range(3)]
    missing = str(tmp_path / "missing.png")
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [b2img_bin(), "upload", "--no-copy", "-f", "url", *files, missing],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "80"},
    )
    os.close(secondary)
    terminal = read_all(primary, proc)
    stdout = proc.stdout.read() if proc.stdout else b""
    proc.wait(timeout=60)
    os.close(primary)
    assert proc.returncode == 4
    assert b"Uploading" in terminal
    assert b"\x1b[" in terminal  # coloured on a terminal
    assert missing.encode() + b": no such file" in terminal  # above the bar, never wrapped
    lines = stdout.decode().splitlines()
    assert len(lines) == 3
    assert all(line.startswith("http://127.0.0.1:") for line in lines)
    assert b"\x1b" not in stdout


def test_no_color_turns_colour_off(tmp_path: Path):
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [b2img_bin(), "upload", str(tmp_path / "x.png")],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(secondary)
    terminal = read_all(primary, proc)
    proc.wait(timeout=30)
    os.close(primary)
    assert b"Error:" in terminal
    assert b"\x1b[" not in terminal


def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path):
    marker = tmp_path / "started"
    write_config(
        {
            "blog": {
                "endpoint": "http://127.0.0.1:9",
                "bucket": "b",
                "access_key_id": "k",
                "secret_access_key": {"command": f"touch '{marker}'; sleep 30"},
            }
        }
    )
    proc = subprocess.Popen(
        [b2img_bin(), "upload", str(write_png(tmp_path / "a.png"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, SECRET_ENV: ""},
    )
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Interrupted." in err
    assert b"Traceback" not in err
    assert out == b""


def test_install_completion_writes_the_generated_script(tmp_path: Path):
    home = tmp_path / "home"
    done = subprocess.run(
        [b2img_bin(), "--install-completion"],
        env={**os.environ, "HOME": str(home), "SHELL": "/bin/bash"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    installed = home / ".bash_completions" / "b2img.sh"
    assert (
        installed.read_text().strip() == (ROOT / "completions" / "b2img.bash").read_text().strip()
    )
    assert f"source '{installed}'" in (home / ".bashrc").read_text()
    loaded = subprocess.run(
        ["bash", "-c", f"source '{installed}' && complete -p b2img"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "_b2img_completion" in loaded.stdout


def test_links_on_the_same_terminal_follow_the_finished_bar(profile: Bucket, tmp_path: Path):
    files = [str(write_png(tmp_path / f"t{i}.png", color=(i, 2, 2, 2))) for i in range(2)]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [b2img_bin(), "upload", "--no-copy", "-f", "url", *files],
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    terminal = read_all(primary, proc).decode()
    proc.wait(timeout=60)
    os.close(primary)
    assert proc.returncode == 0
    last_bar = terminal.rindex("Uploading")
    for name in ("t0.png", "t1.png"):
        assert terminal.index(f"/{name}") > last_bar


def test_a_large_upload_shows_bytes_on_a_terminal(profile: Bucket, tmp_path: Path):
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.write(png_bytes())
        block = os.urandom(1 << 20)
        for _ in range(72):
            handle.write(block)
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [b2img_bin(), "upload", "--no-copy", "-f", "url", str(big)],
        stdout=subprocess.PIPE,
        stderr=secondary,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(secondary)
    terminal = read_all(primary, proc).decode(errors="replace")
    proc.wait(timeout=300)
    os.close(primary)
    assert proc.returncode == 0
    assert "big.png" in terminal
    assert re.search(r"\d+\.\d MB / 75\.\d MB", terminal), terminal[-500:]
