"""Peer benchmark: b2img against PicGo-Core (+ picgo-plugin-s3), the AWS CLI and rclone.

Every tool uploads the same generated files to the same local S3 server (moto, SigV4 enforced,
on 127.0.0.1). Tools alternate run by run; each run's upload is checked in the bucket (the
object exists with the right size), so no tool can win by doing nothing. Reports medians of
wall time, CPU (user+sys of the process and its children) and peak RSS, and b2img's ratio to
each peer, as a Markdown table.

Run it with bench/run (which prepares everything); options: --quick (fewer runs), --only W1,W4.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = HERE / ".peers"
WORK = HERE / ".work"
sys.path.insert(0, str(ROOT / "tests"))

import faultproxy  # noqa: E402
import s3server  # noqa: E402

B2IMG = PEERS / "b2img" / "bin" / "b2img"  # installed by bench/run, as users install it
PICGO_VERSION = "3.1.0"
PICGO_S3_VERSION = "1.5.2"
REGION = s3server.REGION
AWS_CRC32 = "aws, CRC32 headers"  # the AWS CLI's defaults, which B2 refuses: shown, not a target


# ---- peers --------------------------------------------------------------------------------------


def install_peers() -> dict[str, str]:
    """Install the peers under bench/.peers (ignored by git); return the command of each."""
    PEERS.mkdir(exist_ok=True)
    tools: dict[str, str] = {}
    picgo = PEERS / "picgo" / "node_modules" / ".bin" / "picgo"
    if not picgo.exists():
        _run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(PEERS / "picgo"),
                f"picgo@{PICGO_VERSION}",
            ]
        )
    home = PEERS / "picgo-home"
    plugin = home / "node_modules" / "picgo-plugin-s3"
    if not plugin.exists():
        home.mkdir(exist_ok=True)
        (home / "package.json").write_text(
            json.dumps(
                {
                    "name": "picgo-home",
                    "private": True,
                    "dependencies": {"picgo-plugin-s3": PICGO_S3_VERSION},
                }
            )
        )
        _run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(home)])
    tools["picgo"] = str(picgo)
    aws = PEERS / "awscli" / "bin" / "aws"
    if not aws.exists():
        _run([sys.executable, "-m", "venv", str(PEERS / "awscli")])
        _run([str(PEERS / "awscli" / "bin" / "pip"), "install", "--quiet", "awscli"])
    tools["aws"] = str(aws)
    packages = [] if shutil.which("rclone") else ["rclone"]
    if not Path(TIME).exists():
        packages.append("time")
    if packages:
        if os.geteuid() != 0:
            raise SystemExit(f"missing: sudo apt-get install {' '.join(packages)}")
        _run(["apt-get", "update", "-qq"])  # a fresh machine has no package lists yet
        _run(["apt-get", "install", "-y", "-qq", *packages])
    tools["rclone"] = shutil.which("rclone") or "rclone"
    return tools


def _run(argv: list[str]) -> None:
    print("+", " ".join(argv), file=sys.stderr)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


# ---- measuring ----------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples)


TIME = "/usr/bin/time"


def measure(argv: list[str], env: dict[str, str]) -> Sample:
    """Run one command; its wall time, CPU (user+sys incl. children) and peak RSS.

    GNU time runs the command: a child forked straight from this (large) Python process would
    report this process's memory as its own peak until it exec()s.
    """
    with tempfile.NamedTemporaryFile("r") as report, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%U %S %M", "-o", report.name, *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {err.read()[-2000:]!r}")
        user, system, rss_kib = report.read().split()[-3:]
    return Sample(wall, float(user) + float(system), int(rss_kib) / 1024)


# ---- data ---------------------------------------------------------------------------------------


def noise_image(size: tuple[int, int], seed: int) -> object:
    from PIL import Image, ImageChops

    noise = Image.effect_noise(size, 48 + seed % 16).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    return ImageChops.add(noise, gradient, scale=1.6)


def make_png(path: Path, target: int, seed: int) -> Path:
    side = 160
    while True:
        image = noise_image((side, side), seed)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")  # type: ignore[attr-defined]
        if buffer.tell() >= target or side > 4000:
            break
        side = int(side * 1.15)
    path.write_bytes(buffer.getvalue())
    return path


def make_jpeg(
    path: Path, size: tuple[int, int], seed: int, quality: int = 92, *, gps: bool = False
) -> Path:
    """A photo-like JPEG; with ``gps``, EXIF with a location (which b2img removes)."""
    from PIL import ExifTags, Image

    if not gps:
        noise_image(size, seed).save(path, "JPEG", quality=quality)  # type: ignore[attr-defined]
        return path
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BenchCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    noise_image(size, seed).save(path, "JPEG", quality=quality, exif=exif.tobytes())  # type: ignore[attr-defined]
    return path


def make_large(path: Path, size: int) -> Path:
    block = os.urandom(1 << 20)
    with path.open("wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        while handle.tell() < size:
            handle.write(block[: size - handle.tell()])
    return path


# ---- the tools ----------------------------------------------------------------------------------


@dataclass
class Bench:
    server: s3server.S3Server
    bucket: str
    tools: dict[str, str]
    scratch: Path

    def env(self, **extra: str) -> dict[str, str]:
        # PYTHONDONTWRITEBYTECODE would make every Python tool recompile itself on each run.
        skip = ("AWS_", "B2IMG_", "RCLONE_", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
        env.update(extra)
        return env

    # b2img -------------------------------------------------------------------------------------
    def b2img_env(
        self, prefix: str, *, data_dir: Path | None = None, endpoint: str | None = None
    ) -> dict[str, str]:
        config = self.scratch / f"b2img-{uuid.uuid4().hex[:8]}.toml"
        config.write_text(
            'default_profile = "bench"\n\n[profiles.bench]\n'
            f'endpoint = "{endpoint or self.server.endpoint}"\nregion = "{REGION}"\n'
            f'bucket = "{self.bucket}"\naccess_key_id = "{self.server.access_key}"\n'
            'secret_access_key = { env = "BENCH_SECRET" }\n'
            f'upload_path = "{prefix}/{{fullName}}"\npath_style = true\n'
            f'url_prefix = "http://img.bench.test/{self.bucket}"\n'
        )
        config.chmod(0o600)
        data = data_dir or self.scratch / f"data-{uuid.uuid4().hex[:8]}"
        return self.env(
            B2IMG_CONFIG=str(config),
            B2IMG_DATA_DIR=str(data),
            # A fresh history for every run, but the cache (botocore's parsed models) is kept,
            # as on a user's machine after the first upload.
            B2IMG_CACHE_DIR=str(self.scratch / "b2img-cache"),
            BENCH_SECRET=self.server.secret_key,
        )

    def b2img(
        self, files: list[Path], prefix: str, *extra: str, env: dict[str, str] | None = None
    ) -> Sample:
        argv = [
            str(B2IMG),
            "upload",
            "--no-copy",
            "-f",
            "url",
            *extra,
            *map(str, files),
        ]
        return measure(argv, env or self.b2img_env(prefix))

    # PicGo-Core + picgo-plugin-s3 ----------------------------------------------------------------
    def picgo(self, files: list[Path], prefix: str) -> Sample:
        home = PEERS / "picgo-home"
        config = home / "config.json"
        config.write_text(
            json.dumps(
                {
                    "picBed": {
                        "uploader": "aws-s3",
                        "current": "aws-s3",
                        "aws-s3": {
                            "accessKeyID": self.server.access_key,
                            "secretAccessKey": self.server.secret_key,
                            "bucketName": self.bucket,
                            "uploadPath": f"{prefix}/{{fullName}}",
                            "region": REGION,
                            "endpoint": self.server.endpoint,
                            "pathStyleAccess": True,
                            "rejectUnauthorized": False,
                        },
                    },
                    "picgoPlugins": {"picgo-plugin-s3": True},
                    "settings": {"logLevel": ["error"]},
                }
            )
        )
        argv = [self.tools["picgo"], "-c", str(config), "upload", *map(str, files)]
        return measure(argv, self.env(HOME=str(home)))

    # AWS CLI -------------------------------------------------------------------------------------
    def aws_env(self, *, b2_checksums: bool = True) -> dict[str, str]:
        env = self.env(
            AWS_ACCESS_KEY_ID=self.server.access_key,
            AWS_SECRET_ACCESS_KEY=self.server.secret_key,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_PAGER="",
        )
        if b2_checksums:
            # B2 refuses the CRC32 checksum headers the AWS CLI sends by default, so a B2 user
            # runs it with these two settings (Backblaze's own instructions say so).
            env.update(
                AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
                AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
            )
        return env

    def aws_crc32(self, files: list[Path], prefix: str) -> Sample:
        """The AWS CLI as it comes: CRC32 headers on every part (B2 refuses them)."""
        return self.aws(files, prefix, b2_checksums=False)

    def aws(self, files: list[Path], prefix: str, *, b2_checksums: bool = True) -> Sample:
        base = [
            self.tools["aws"],
            "--endpoint-url",
            self.server.endpoint,
            "s3",
            "cp",
            "--only-show-errors",
        ]
        if len(files) == 1:
            argv = [*base, str(files[0]), f"s3://{self.bucket}/{prefix}/{files[0].name}"]
        else:
            argv = [*base, "--recursive", str(files[0].parent), f"s3://{self.bucket}/{prefix}/"]
        return measure(argv, self.aws_env(b2_checksums=b2_checksums))

    # rclone --------------------------------------------------------------------------------------
    def rclone_env(self) -> dict[str, str]:
        return self.env(
            RCLONE_CONFIG=os.devnull,
            RCLONE_CONFIG_BENCH_TYPE="s3",
            RCLONE_CONFIG_BENCH_PROVIDER="Other",
            RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=self.server.access_key,
            RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=self.server.secret_key,
            RCLONE_CONFIG_BENCH_ENDPOINT=self.server.endpoint,
            RCLONE_CONFIG_BENCH_REGION=REGION,
            RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE="true",
        )

    def rclone(self, files: list[Path], prefix: str) -> Sample:
        tool = self.tools["rclone"]
        if len(files) == 1:
            argv = [
                tool,
                "copyto",
                "--s3-no-check-bucket",
                str(files[0]),
                f"bench:{self.bucket}/{prefix}/{files[0].name}",
            ]
        else:
            argv = [
                tool,
                "copy",
                "--s3-no-check-bucket",
                str(files[0].parent),
                f"bench:{self.bucket}/{prefix}/",
            ]
        return measure(argv, self.rclone_env())

    # checks --------------------------------------------------------------------------------------
    def check(self, files: list[Path], prefix: str) -> None:
        client = self.server.client()
        for path in files:
            key = f"{prefix}/{path.name}"
            head = client.head_object(Bucket=self.bucket, Key=key)
            if head["ContentLength"] != path.stat().st_size:
                raise RuntimeError(
                    f"{key}: stored {head['ContentLength']} bytes, expected {path.stat().st_size}"
                )

    def clear(self, prefix: str) -> None:
        client = self.server.client()
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix + "/"):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=self.bucket, Key=item["Key"])


# ---- workloads ----------------------------------------------------------------------------------

Runner = Callable[[list[Path], str], Sample]


def alternate(
    bench: Bench, names: list[str], runs: int, files: list[Path], label: str, *, keep: bool = False
) -> dict[str, Series]:
    runners: dict[str, Runner] = {
        "b2img": bench.b2img,
        "picgo": bench.picgo,
        "aws": bench.aws,
        AWS_CRC32: bench.aws_crc32,
        "rclone": bench.rclone,
    }
    results = {name: Series() for name in names}
    for run in range(runs):
        order = names[run % len(names) :] + names[: run % len(names)]
        for name in order:
            prefix = f"{label}/{name}/{run}-{uuid.uuid4().hex[:6]}"
            sample = runners[name](files, prefix)
            bench.check(files, prefix)
            if not keep:
                bench.clear(prefix)
            results[name].samples.append(sample)
        print(f"  {label}: run {run + 1}/{runs} done", file=sys.stderr)
    return results


def startup(bench: Bench, runs: int) -> dict[str, dict[str, Series]]:
    b2img = str(B2IMG)
    commands = {
        "--version": {
            "b2img": [b2img, "--version"],
            "picgo": [bench.tools["picgo"], "-v"],
            "aws": [bench.tools["aws"], "--version"],
            "rclone": [bench.tools["rclone"], "version"],
        },
        "--help": {
            "b2img": [b2img, "--help"],
            "picgo": [bench.tools["picgo"], "-h"],
        },
    }
    out: dict[str, dict[str, Series]] = {}
    for flag, table in commands.items():
        results = {name: Series() for name in table}
        for run in range(runs):
            names = list(table)
            for name in names[run % len(names) :] + names[: run % len(names)]:
                env = bench.env(HOME=str(PEERS / "picgo-home")) if name == "picgo" else bench.env()
                results[name].samples.append(measure(table[name], env))
        out[flag] = results
    return out


def repeat_from_history(bench: Bench, runs: int, image: Path) -> tuple[Series, int]:
    """W4: the W1 file again. b2img goes through a counting proxy: it must make no request."""
    data_dir = bench.scratch / "history-w4"
    prefix = f"W4/b2img/{uuid.uuid4().hex[:6]}"
    bench.b2img([image], prefix, env=bench.b2img_env(prefix, data_dir=data_dir))
    bench.check([image], prefix)
    series = Series()
    with faultproxy.proxy(bench.server.endpoint) as (endpoint, state):
        env = bench.b2img_env(prefix, data_dir=data_dir, endpoint=endpoint)
        for _ in range(runs):
            series.samples.append(bench.b2img([image], prefix, env=env))
        requests = len(state.requests)
    return series, requests


def pipeline(bench: Bench, runs: int, photo: Path) -> dict[str, Series]:
    variants = {
        "strip only": [],
        "strip + WebP + resize to 2000 px": [
            "--convert",
            "webp",
            "--max-width",
            "2000",
            "--max-height",
            "2000",
        ],
    }
    out: dict[str, Series] = {}
    for label, extra in variants.items():
        series = Series()
        for run in range(runs):
            prefix = f"W6/{run}-{uuid.uuid4().hex[:6]}"
            series.samples.append(bench.b2img([photo], prefix, *extra))
            client = bench.server.client()
            listed = client.list_objects_v2(Bucket=bench.bucket, Prefix=prefix + "/")
            if listed.get("KeyCount", 0) != 1:
                raise RuntimeError(f"W6 {label}: nothing stored")
            bench.clear(prefix)
        out[label] = series
    return out


@contextlib.contextmanager
def b2img_server(bench: Bench, prefix: str) -> Iterator[int]:
    """A `b2img server` uploading under ``prefix``, answering; yields its port."""
    import http.client

    port = s3server.free_port()
    process = subprocess.Popen(
        [str(B2IMG), "server", "--port", str(port)],
        env=bench.b2img_env(prefix),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("POST", "/heartbeat")
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def server_rows(bench: Bench, count: int) -> list[str]:
    """W5: b2img server, 200 sequential uploads of distinct 200 KB PNGs, then 8 clients."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    folder = bench.scratch / "w5"
    folder.mkdir()
    from PIL import Image

    with Image.open(make_png(folder / "base.png", 200_000, 5)) as base:
        base.load()
    files = []
    for index in range(count * 2):  # distinct pixels: nothing is answered from the history
        image = base.copy()
        image.putpixel((0, 0), (index % 256, index // 256, 7))
        path = folder / f"s{index:04d}.png"
        image.save(path, "PNG", compress_level=1)
        files.append(path)
    prefix = f"W5/{uuid.uuid4().hex[:6]}"

    def post(path: Path) -> float:
        body = json.dumps({"list": [str(path)]}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        started = time.perf_counter()
        connection.request("POST", "/upload", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != 200 or not answer.get("success"):
            raise RuntimeError(f"W5: {response.status} {answer}")
        return elapsed

    with b2img_server(bench, prefix) as port:
        post(files[-1])  # warm: the client and its connections exist from here on
        latencies = sorted(post(path) for path in files[:count])
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            errors = 0
            for result in pool.map(lambda p: _safe(post, p), files[count : 2 * count - 1]):
                errors += result is None
        throughput = (count - 1) / (time.perf_counter() - started)
    bench.check(files[: 2 * count - 1], prefix)
    bench.clear(prefix)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    return [
        f"| W5 server, {count} sequential 200 KB uploads | b2img | p50 {fmt_time(p50)}, "
        f"p99 {fmt_time(p99)} | | | | {count} | HEAD + PUT each |",
        f"| W5 server, 8 concurrent clients | b2img | {throughput:.0f} uploads/s | | | | "
        f"{count - 1} | {errors} errors |",
    ]


def handoff_rows(bench: Bench, runs: int) -> list[str]:
    """W1 again, with a running b2img server taking the upload (B2IMG_SERVER), beside rclone."""
    from PIL import Image

    folder = bench.scratch / "w1s"
    folder.mkdir()
    with Image.open(make_png(folder / "base.png", 200_000, 9)) as base:
        base.load()
    server_prefix = f"W1S/server-{uuid.uuid4().hex[:6]}"
    results = {"b2img + server": Series(), "rclone": Series()}
    with b2img_server(bench, server_prefix) as port:  # run 0 below warms its client
        for run in range(runs + 1):
            image = base.copy()
            image.putpixel((1, 1), (run, 3, 5))
            path = folder / f"w1s-{run}.png"
            image.save(path, "PNG")
            order = ["b2img + server", "rclone"][:: 1 if run % 2 else -1]
            for name in order:
                if name == "rclone":
                    prefix = f"W1S/rclone/{run}"
                    sample = bench.rclone([path], prefix)
                else:
                    prefix = server_prefix
                    env = {**bench.b2img_env(prefix), "B2IMG_SERVER": f"http://127.0.0.1:{port}"}
                    sample = bench.b2img([path], prefix, env=env)
                bench.check([path], prefix)
                if run:  # run 0 warms up
                    results[name].samples.append(sample)
    return table_rows("W1 via a running server", results, "B2IMG_SERVER set")


def _safe(call: Callable[[Path], float], path: Path) -> float | None:
    try:
        return call(path)
    except (RuntimeError, OSError) as exc:
        print(f"  W5 error: {exc}", file=sys.stderr)
        return None


# ---- report -------------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    if seconds < 0.1:  # server latencies: a tenth of a millisecond tells a target met or missed
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table_rows(workload: str, results: dict[str, Series], note: str = "") -> list[str]:
    rows = []
    first = next(iter(results))
    base = results[first] if first.startswith("b2img") else None
    for name, series in results.items():
        ratio = ""
        if base is not None and name != first and series.samples:
            ratio = f"{base.median('wall') / series.median('wall'):.2f}x"
        rows.append(
            f"| {workload} | {name} | {fmt_time(series.median('wall'))} | "
            f"{fmt_time(series.median('cpu'))} | {series.median('rss_mb'):.0f} MB | {ratio} | "
            f"{len(series.samples)} | {note} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (for a smoke test)")
    parser.add_argument("--only", default="", help="comma-separated workloads, e.g. W1,W4")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    only = {w.strip().upper() for w in args.only.split(",") if w.strip()}  # W0-W6, W1S
    want = lambda w: not only or w in only  # noqa: E731
    runs = 3 if args.quick else 7

    tools = install_peers()
    WORK.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=WORK))
    rows = [
        "| workload | tool | wall (median) | CPU user+sys | peak RSS | b2img ÷ tool (wall) "
        "| runs | notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    with s3server.running(scratch / "moto.log") as server:
        bench = Bench(server, server.create_bucket("bench"), tools, scratch)
        peers = ["b2img", "picgo", "aws", "rclone"]
        if want("W0"):
            for flag, results in startup(bench, max(runs, 10)).items():
                rows += table_rows(f"W0 {flag}", results)
        png = make_png(scratch / "w1.png", 200_000, 1)
        alternate(bench, ["b2img"], 1, [png], "warmup")  # fills b2img's cache folder, untimed
        if want("W1"):
            for name in peers:  # one untimed warm-up each: disk cache, .pyc files
                alternate(bench, [name], 1, [png], "warmup")
            rows += table_rows(
                "W1 one 200 KB PNG",
                alternate(bench, peers, runs, [png], "W1"),
                f"{png.stat().st_size // 1000} kB",
            )
        if want("W2"):
            folder = scratch / "w2"
            folder.mkdir()
            files = [make_jpeg(folder / f"img{i:03d}.jpg", (330, 330), i) for i in range(100)]
            sizes = statistics.mean(f.stat().st_size for f in files) / 1000
            rows += table_rows(
                "W2 100 JPEGs",
                alternate(bench, peers, max(3, runs // 2), files, "W2"),
                f"mean {sizes:.0f} kB; b2img -j 8, rclone --transfers 4 (default)",
            )
        if want("W3"):
            big_dir = scratch / "w3"
            big_dir.mkdir()
            big = make_large(big_dir / "big.bin.png", 200 * 1024 * 1024)
            rows += table_rows(
                "W3 one 200 MB file",
                alternate(bench, [*peers, AWS_CRC32], 7, [big], "W3"),
                "multipart",
            )
            big.unlink()
        if want("W4"):
            series, requests = repeat_from_history(bench, runs, png)
            peers_again = alternate(bench, ["picgo", "aws", "rclone"], runs, [png], "W4")
            results = {"b2img": series, **peers_again}
            rows += table_rows(
                "W4 the W1 file again", results, f"b2img: {requests} requests reached the server"
            )
        if want("W5"):
            rows += server_rows(bench, 200)
        if want("W1S"):
            rows += handoff_rows(bench, runs)
        if want("W6"):
            photo = make_jpeg(scratch / "photo-12mp.jpg", (4000, 3000), 7, gps=True)
            for label, series in pipeline(bench, max(3, runs // 2), photo).items():
                rows += table_rows(
                    f"W6 12 MP JPEG, {label}",
                    {"b2img": series},
                    f"{photo.stat().st_size / 1e6:.1f} MB in",
                )
    shutil.rmtree(scratch, ignore_errors=True)
    report = "\n".join(
        [
            "# b2img peer benchmark",
            "",
            f"Generated by `bench/run` on {time.strftime('%Y-%m-%d')} "
            f"({os.cpu_count()} cores), against moto's S3 server on 127.0.0.1 with SigV4 enforced. "
            f"PicGo-Core {PICGO_VERSION} with picgo-plugin-s3 {PICGO_S3_VERSION}, "
            f"{_version([tools['aws'], '--version'])}, {_version([tools['rclone'], 'version'])}.",
            "Ratios below 1 mean b2img is faster. Every run's objects were checked in the bucket. "
            "Each b2img run starts with an empty history; its cache folder (botocore's parsed "
            "models) is kept between runs, as on a user's machine after the first upload. "
            "The AWS CLI runs with `AWS_REQUEST_CHECKSUM_CALCULATION` and "
            "`AWS_RESPONSE_CHECKSUM_VALIDATION` set to `when_required`, as B2 requires (it "
            "refuses the CRC32 headers the CLI sends by default); W3 also shows the CLI as it "
            f'comes ("{AWS_CRC32}"): given a checksum algorithm, moto completes a multipart '
            "upload without building a whole-object checksum, so on moto that configuration is "
            "faster, and on B2 it fails.",
            "",
            *rows,
            "",
        ]
    )
    Path(args.output).write_text(report)
    print(report)


def _version(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return (
        (done.stdout or done.stderr).splitlines()[0].strip()
        if (done.stdout or done.stderr)
        else argv[0]
    )


if __name__ == "__main__":
    main()
