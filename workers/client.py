"""Enqueue a job's chunks (used by the ``recsys`` client commands)."""

from shared.batch.records import JobSpec, mark_failed
from shared.errors import RecsysError
from shared.settings import Settings
from shared.store import ObjectStore
from workers.app import TASK_NAMES, create_app


def dispatch(settings: Settings, store: ObjectStore, spec: JobSpec) -> None:
    """One task per chunk; if the broker refuses, the job is marked FAILED, never left RUNNING."""
    app = create_app(settings)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=2, timeout=5)
            for chunk in range(spec.n_chunks):
                app.send_task(
                    TASK_NAMES[spec.kind], kwargs={"job_id": spec.job_id, "chunk": chunk},
                    queue=settings.queue, connection=conn,
                )
    except Exception as exc:
        mark_failed(store, spec.job_id, f"could not enqueue: {type(exc).__name__}: {exc}")
        raise RecsysError(
            f"could not enqueue job {spec.job_id} on {settings.broker_url}: {exc}; is the broker running?"
        ) from exc
