"""Bad input: one clear line and a hint on stderr, the documented exit code, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SECRET_ENV, b2img_bin
from helpers import png_bytes, write_config, write_png

PROFILE = {
    "endpoint": "http://127.0.0.1:9",
    "bucket": "b",
    "access_key_id": "k",
    "secret_access_key": {"env": SECRET_ENV},
    "path_style": True,
    "url_prefix": "https://img.example.com",
}


def check_error(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ")
    for fragment in fragments:
        assert fragment in done.stderr


def test_no_config_yet(run, tmp_path: Path) -> None:
    done = run("upload", str(write_png(tmp_path / "a.png")))
    check_error(done, 3, "no config file yet", "Hint: b2img init")


def test_invalid_toml_names_the_line(run, tmp_path: Path) -> None:
    path = Path(os.environ["B2IMG_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text('default_profile = "x"\n[profiles.x]\nbucket = \n')
    done = run("upload", str(write_png(tmp_path / "a.png")))
    check_error(done, 3, "invalid TOML", "line 3", str(path.name))


def test_unknown_profile_lists_profiles(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE, "work": PROFILE})
    done = run("upload", "--profile", "nope", str(write_png(tmp_path / "a.png")))
    check_error(done, 3, "profile 'nope' not found (profiles: blog, work)", "b2img profile list")


def test_profile_from_the_environment(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE, "work": {**PROFILE, "url_prefix": "https://work.example"}})
    image = str(write_png(tmp_path / "a.png"))
    done = run("upload", "--dry-run", "-f", "url", image, env={"B2IMG_PROFILE": "work"})
    assert done.stdout.startswith("https://work.example/")


def test_unknown_placeholder_lists_valid_ones(run, tmp_path: Path) -> None:
    write_config({"blog": {**PROFILE, "upload_path": "{year}/{name}"}})
    done = run("upload", str(write_png(tmp_path / "a.png")))
    check_error(done, 3, "unknown placeholder {name}", "{fullName}", "{md5B64Short}")


@pytest.mark.parametrize(
    ("template", "message"), [("../{fullName}", "'..' segment"), ("{fileName:0}", "empty key")]
)
def test_template_that_renders_to_a_bad_key(run, tmp_path: Path, template: str, message: str):
    write_config({"blog": {**PROFILE, "upload_path": template}})
    done = run("upload", "--dry-run", str(write_png(tmp_path / "a.png")))
    check_error(done, 3, message)


def test_missing_file(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    check_error(run("upload", "--dry-run", str(tmp_path / "nope.png")), 4, "no such file")


def test_directory(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    check_error(run("upload", "--dry-run", str(tmp_path)), 4, "is a directory")


def test_empty_file(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    empty = tmp_path / "empty.png"
    empty.touch()
    check_error(run("upload", "--dry-run", str(empty)), 4, "is empty")


def test_text_renamed_png(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    fake = tmp_path / "fake.png"
    fake.write_text("hello")
    check_error(run("upload", "--dry-run", str(fake)), 4, "is not an image", "Hint: b2img uploads")


def test_svg_is_refused(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    svg = tmp_path / "x.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    check_error(run("upload", "--dry-run", str(svg)), 4, "SVG")


def test_unreadable_file(tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes())
    secret.chmod(0o000)
    command = [b2img_bin(), "upload", "--dry-run", str(secret)]
    if os.geteuid() == 0:
        # root reads any file; without the capabilities that allow it, mode 000 holds.
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv cannot be denied a read")  # pragma: no cover
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    check_error(done, 4, "permission denied")


def test_missing_secret_env(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    done = run("upload", str(write_png(tmp_path / "a.png")))
    check_error(done, 3, f"comes from ${SECRET_ENV}, which is not set", f"export {SECRET_ENV}")


def test_bad_format_option_is_a_usage_error(run, tmp_path: Path) -> None:
    write_config({"blog": PROFILE})
    done = run("upload", "--dry-run", "--format", "{nope}", str(write_png(tmp_path / "a.png")))
    assert done.returncode == 2
    assert "{nope}" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_files_is_a_usage_error(run) -> None:
    done = run("upload")
    assert done.returncode == 2
    assert "give one or more image files (to upload the clipboard: b2img paste)" in done.stderr


def test_errors_have_no_colour_when_piped(run, tmp_path: Path) -> None:
    done = run("upload", str(tmp_path / "x.png"))
    assert "\x1b[" not in done.stderr
