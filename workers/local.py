"""Start a throwaway redis-server and real Celery worker processes on loopback.

Used by the integration tests and ``bench/bench_workers.py``; never by production code.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class ServerError(RuntimeError):
    """A local server did not come up."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalRedis:
    """``redis-server`` on a free 127.0.0.1 port, without persistence."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install -y redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise ServerError("redis-server did not start within 10 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def worker_env(broker_url: str, store_url: str, queue: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECSYS_")}
    env.update(RECSYS_BROKER_URL=broker_url, RECSYS_STORE_URL=store_url, RECSYS_QUEUE=queue, PYTHONPATH=str(REPO))
    env.update(extra)
    return env


class LocalWorker:
    """A real ``celery -A workers.app worker`` (prefork, ``concurrency`` child processes)."""

    def __init__(
        self, env: dict[str, str], concurrency: int, log: Path, timeout_s: float = 60, via_recsys: bool = False
    ) -> None:
        self.log = log
        if via_recsys:  # the ``recsys worker`` wrapper
            argv = [sys.executable, "-m", "jobs.cli", "worker", f"--concurrency={concurrency}"]
        else:
            argv = [sys.executable, "-m", "celery", "-A", "workers.app", "worker", f"--concurrency={concurrency}",
                    "--pool=prefork", "--loglevel=INFO", f"--queues={env['RECSYS_QUEUE']}", "--without-gossip",
                    "--without-mingle", "--without-heartbeat", f"--hostname=local-{concurrency}-{free_port()}@%h"]
        self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while "ready." not in log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    @staticmethod
    def peak_rss_mib(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
