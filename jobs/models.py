"""``recsys models list|show|url``: what is published in RECSYS_STORE_URL."""

import argparse
import json
from typing import Any

from jobs.common import guarded
from shared.artifacts import ModelRef, list_models, read_committed_manifest, resolve
from shared.settings import Settings
from shared.store import open_store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="models_command", required=True)
    listing = commands.add_parser("list", help="complete model versions, newest last")
    listing.add_argument("--dataset", help="only this dataset")
    listing.add_argument("--json", action="store_true", help="print JSON rows")
    listing.set_defaults(models_handler=_list)
    show = commands.add_parser("show", help="a version's manifest and metrics")
    show.add_argument("ref", help="DATASET/MODEL[@VERSION|@latest], e.g. amazon/fm@latest")
    show.add_argument("--json", action="store_true", help="print the manifest as JSON")
    show.set_defaults(models_handler=_show)
    url = commands.add_parser("url", help="presigned GET URLs for a version's files")
    url.add_argument("ref", help="DATASET/MODEL[@VERSION|@latest]")
    url.add_argument("--expires", type=int, default=3600, help="seconds the URLs stay valid (max 7 days)")
    url.set_defaults(models_handler=_url)


def execute(args: argparse.Namespace) -> int:
    return guarded(lambda: args.models_handler(args, Settings()))


def _list(args: argparse.Namespace, settings: Settings) -> None:
    rows = list_models(open_store(settings), args.dataset)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        print(f"no published models in {settings.store_url}")
        return
    width = max(len(row["ref"]) for row in rows)
    for row in rows:
        if "error" in row:
            print(f"{row['ref']:<{width}}  UNREADABLE: {row['error']}")
            continue
        latest = "  (latest)" if row["latest"] else ""
        print(f"{row['ref']:<{width}}  {row['created_at'] or '':<26}{_metrics(row['test'])}{latest}")


def _show(args: argparse.Namespace, settings: Settings) -> None:
    store = open_store(settings)
    ref = resolve(store, ModelRef.parse(args.ref))
    manifest = read_committed_manifest(store, ref.prefix)
    if args.json:
        print(json.dumps({"ref": str(ref), **manifest}, indent=2))
        return
    metrics = manifest.get("metrics") or {}
    lines = [
        f"{ref}",
        f"  created    {manifest.get('created_at')}  code {manifest.get('code_version')}  seed {manifest.get('seed')}",
        f"  prepared   {manifest.get('prepared')}",
        f"  config     {json.dumps(manifest.get('config', {}).get('config', {}), sort_keys=True)}",
        f"  valid      {_metrics(metrics.get('valid'))}",
        f"  test       {_metrics(metrics.get('test'))}",
        "  files",
    ]
    lines += [f"    {name:<22} {f['size']:>12,} B  sha256 {f['sha256']}" for name, f in manifest["files"].items()]
    print("\n".join(lines))


def _url(args: argparse.Namespace, settings: Settings) -> None:
    store = open_store(settings)
    ref = resolve(store, ModelRef.parse(args.ref))
    manifest = read_committed_manifest(store, ref.prefix)
    for name in [*manifest["files"], "manifest.json"]:
        print(f"{name}\t{store.presign(ref.prefix + name, args.expires)}")


def _metrics(metrics: dict[str, Any] | None) -> str:
    if not metrics:
        return "-"
    return " ".join(f"{k} {metrics[k]:.4f}" for k in ("HR@10", "NDCG@10") if k in metrics)
