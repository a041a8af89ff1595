#!/bin/sh
# Entrypoint of the worker image. With no arguments it runs the Celery worker, configured from the
# environment; with arguments it runs them (`flower`, `recsys ...`, `python ...`).
#   RECSYS_WORKER_CONCURRENCY  worker processes (default 2)
#   RECSYS_WORKER_QUEUES       comma-separated queues (default: RECSYS_QUEUE, else recsys)
#   RECSYS_WORKER_LOGLEVEL     Celery log level (default INFO)
set -eu

if [ "$#" -gt 0 ]; then
    case "$1" in
        flower)
            shift
            exec celery -A workers.app flower "$@" ;;
        worker)
            shift ;;
        *)
            exec "$@" ;;
    esac
fi

if ! python -c 'import workers.app' 2>/dev/null; then
    echo "error: this image has no importable workers.app (built before the workers package existed?)" >&2
    python -c 'import workers.app' || true
    exit 2
fi
concurrency="${RECSYS_WORKER_CONCURRENCY:-2}"
queues="${RECSYS_WORKER_QUEUES:-${RECSYS_QUEUE:-recsys}}"
# -E sends task events, which Flower shows; the hostname keeps replicas apart in Flower.
exec celery -A workers.app worker --concurrency "$concurrency" --queues "$queues" \
    --loglevel "${RECSYS_WORKER_LOGLEVEL:-INFO}" -E --hostname "worker@%h" "$@"
