"""Client commands for batch jobs: ``recsys recommend|evaluate|status|fetch``.

With ``RECSYS_BROKER_URL`` set, chunks go to Celery workers; unset, they run in this process
(the embedded default) through the same functions.
"""

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path
from typing import Any, get_args

from shared.atomic import atomic_write_bytes
from shared.batch.chunks import ModelCache, read_parquet
from shared.batch.records import JobKeys, JobSpec, JobStatus, Protocol, job_status
from shared.batch.submit import run_in_process, submit_evaluate, submit_recommend
from shared.checksums import sha256_bytes
from shared.errors import ConfigError, RecsysError
from shared.settings import Settings
from shared.store import ObjectStore, open_store


def add_recommend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="DATASET/MODEL[@VERSION], e.g. amazon/fm@latest")
    parser.add_argument("--k", type=int, default=10, help="items per user (default 10)")
    parser.add_argument("--users", type=Path, help="file of raw user ids, one per line (default: all users)")
    parser.add_argument("--include-seen", action="store_true", help="allow items the user already has")
    _common(parser)


def add_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="DATASET/MODEL[@VERSION], e.g. amazon/ncf@latest")
    parser.add_argument("--protocol", choices=get_args(Protocol), default="full")
    _common(parser)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chunk-size", type=int, help="users per chunk task (default RECSYS_CHUNK_SIZE)")
    parser.add_argument("--wait", action="store_true", help="show progress until the job ends")


def add_status(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job_id")
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    parser.add_argument("--wait", action="store_true", help="show progress until the job ends")


def add_fetch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job_id")
    parser.add_argument("--out", type=Path, help="folder to write into (default: ./JOB_ID)")
    parser.add_argument("--format", choices=("parquet", "jsonl", "csv"), default="parquet")
    parser.add_argument("--url", action="store_true", help="print presigned URLs instead of downloading")
    parser.add_argument("--user", help="print one user's recommendations as JSON")
    parser.add_argument("--expires", type=int, default=3600, help="presigned URL lifetime in seconds")


def _submit(args: argparse.Namespace, settings: Settings, kind: str) -> int:
    store = open_store(settings)
    cache = ModelCache()
    chunk_size = args.chunk_size if args.chunk_size is not None else settings.chunk_size
    spec: JobSpec
    if kind == "recommend":
        spec = submit_recommend(
            store, cache, args.model, k=args.k, users_file=args.users, include_seen=args.include_seen,
            chunk_size=chunk_size, seed=settings.seed, max_attempts=settings.max_attempts,
        )
    else:
        spec = submit_evaluate(
            store, cache, args.model, protocol=args.protocol, chunk_size=chunk_size, seed=settings.seed,
            max_attempts=settings.max_attempts,
        )
    if settings.broker_url:
        from workers.client import dispatch

        dispatch(settings, store, spec)
        print(spec.job_id)
        return _wait(store, spec.job_id) if args.wait else 0
    print(spec.job_id)
    run_in_process(store, spec, cache)
    return _wait(store, spec.job_id) if args.wait else 0


def _wait(store: ObjectStore, job_id: str, poll_s: float = 0.5) -> int:
    last = ""
    while True:
        status = job_status(store, job_id)
        line = status.line()
        if line.split(",")[0] != last:
            print(line, file=sys.stderr)
            last = line.split(",")[0]
        if status.state in ("SUCCEEDED", "FAILED"):
            if status.state == "SUCCEEDED" and status.spec.kind == "evaluate":
                metrics = json.loads(store.get_bytes(JobKeys(job_id).metrics))["metrics"]
                print(json.dumps(metrics, indent=2, sort_keys=True))
            return 0 if status.state == "SUCCEEDED" else 1
        time.sleep(poll_s)


def status(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    if args.wait:
        return _wait(store, args.job_id)
    record: JobStatus = job_status(store, args.job_id)
    print(json.dumps(record.as_dict(), indent=2) if args.json else record.line())
    return 0 if record.state != "FAILED" else 1


def _finished_manifest(store: ObjectStore, job_id: str) -> dict[str, Any]:
    record = job_status(store, job_id)
    if record.state != "SUCCEEDED":
        raise RecsysError(f"job {job_id} is {record.state}, not SUCCEEDED; check `recsys status {job_id}`")
    manifest: dict[str, Any] = json.loads(store.get_bytes(JobKeys(job_id).manifest))
    return manifest


def _verified(store: ObjectStore, entry: dict[str, Any]) -> bytes:
    data = store.get_bytes(entry["key"])
    if sha256_bytes(data) != entry["sha256"]:
        raise RecsysError(f"{entry['key']} does not match its sha256 in the manifest; refusing it")
    return data


def _rows(data: bytes) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = read_parquet(data).to_pylist()
    return rows


def _convert(data: bytes, fmt: str) -> bytes:
    if fmt == "parquet":
        return data
    rows = _rows(data)
    if fmt == "jsonl":
        return "".join(json.dumps(row) + "\n" for row in rows).encode()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    if rows:
        writer.writerow(rows[0].keys())
    for row in rows:
        writer.writerow([" ".join(map(str, v)) if isinstance(v, list) else v for v in row.values()])
    return text.getvalue().encode()


def fetch(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    manifest = _finished_manifest(store, args.job_id)
    entries: list[dict[str, Any]] = list(manifest["parts"]) + list(manifest.get("files", []))
    if args.user is not None:
        if manifest["kind"] != "recommend":
            raise ConfigError("--user works on recommend jobs")
        for part in manifest["parts"]:
            for row in _rows(_verified(store, part)):
                if row["user_id"] == args.user:
                    print(json.dumps(row))
                    return 0
        raise RecsysError(f"user {args.user!r} is not in job {args.job_id}")
    keys = [JobKeys(args.job_id).manifest, *(e["key"] for e in entries)]
    if args.url:
        for key in keys:
            print(store.presign(key, args.expires))
        return 0
    out = args.out or Path(args.job_id)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "manifest.json", store.get_bytes(JobKeys(args.job_id).manifest))
    for entry in entries:
        name = entry["key"].rsplit("/", 1)[-1]
        data = _verified(store, entry)
        if name.endswith(".parquet") and args.format != "parquet":
            name, data = name[: -len(".parquet")] + f".{args.format}", _convert(data, args.format)
        atomic_write_bytes(out / name, data)
    print(f"{len(entries)} file(s) verified and written to {out}", file=sys.stderr)
    return 0


def execute(args: argparse.Namespace) -> int:
    """Run a batch subcommand; user errors print one line and exit 2."""
    try:
        settings = Settings()
        if args.command in ("recommend", "evaluate"):
            return _submit(args, settings, args.command)
        if args.command == "status":
            return status(args, settings)
        return fetch(args, settings)
    except RecsysError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # pydantic settings validation
        print(f"error: {str(exc).splitlines()[0]}: {' '.join(str(exc).split())[:200]}", file=sys.stderr)
        return 2


__all__ = ["add_evaluate", "add_fetch", "add_recommend", "add_status", "execute"]
