"""One-shot store bootstrap for the compose stack: wait for the object store, create the bucket.

Run by the ``store-init`` service before the trainer and the workers start. It reads the same
``RECSYS_*`` settings as they do and calls the same ``ensure_store`` the trainer calls, so a store
it accepts is one they can use. Exit codes: 0 ready, 2 refused (credentials, permissions, bad URL),
3 still unreachable after ``--wait`` seconds.
"""

import argparse
import sys
import time

from shared.settings import Settings
from shared.store import StoreError, StoreUnavailable, ensure_store, open_store

PROBE_KEY = "_bootstrap/probe"


def bootstrap(settings: Settings, wait_s: float, interval_s: float) -> int:
    deadline = time.monotonic() + wait_s
    attempt = 0
    while True:
        attempt += 1
        try:
            store = open_store(settings)
            ensure_store(store)
            # Prove that these credentials may write and delete, not only list.
            store.put_bytes(PROBE_KEY, b"ok\n")
            store.delete(PROBE_KEY)
        except StoreUnavailable as exc:
            if time.monotonic() >= deadline:
                print(
                    f"error: store {settings.store_url} still unreachable after {wait_s:.0f}s: {exc}", file=sys.stderr
                )
                return 3
            print(f"store not reachable yet (attempt {attempt}): {exc}", file=sys.stderr, flush=True)
            time.sleep(interval_s)
            continue
        except StoreError as exc:
            print(f"error: store {settings.store_url} refused: {exc}", file=sys.stderr)
            return 2
        endpoint = settings.s3_endpoint_url or "the default endpoint"
        print(f"store ready: {settings.store_url} at {endpoint}", flush=True)
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Wait for RECSYS_STORE_URL and create its bucket.")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to keep retrying an unreachable store")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between attempts")
    args = parser.parse_args(argv)
    return bootstrap(Settings(), args.wait, args.interval)


if __name__ == "__main__":
    sys.exit(main())
