"""The Celery app, built from Settings (``RECSYS_BROKER_URL``). Run it with ``recsys worker``
or ``celery -A workers.app worker``.

At-least-once delivery with idempotent chunks: late acks, requeue on worker loss, one message
reserved per process, a visibility timeout above the hard time limit, JSON only.
"""

from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from shared.settings import Settings

TASK_NAMES = {
    "recommend": "recsys.recommend_chunk",
    "evaluate": "recsys.evaluate_chunk",
    "finalize": "recsys.finalize_job",
}


def create_app(settings: Settings) -> Celery:
    app = Celery("recsys", broker=settings.broker_url, backend=settings.broker_url, include=["workers.tasks"])
    transport = {"visibility_timeout": settings.visibility_timeout_s}
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_time_limit=settings.task_time_limit_s,
        task_soft_time_limit=max(1, settings.task_time_limit_s - 30),
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        visibility_timeout=settings.visibility_timeout_s,
        result_expires=86400,
        task_default_queue=settings.queue,
        task_track_started=True,
        broker_connection_retry_on_startup=True,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5},
        worker_hijack_root_logger=False,
    )
    return app


SETTINGS = Settings()
app = create_app(SETTINGS)


@worker_process_init.connect
def _limit_threads(**_: Any) -> None:
    """Each prefork child uses ``worker_threads`` threads: N processes share the host's cores."""
    import faiss
    import torch

    torch.set_num_threads(SETTINGS.worker_threads)
    faiss.omp_set_num_threads(SETTINGS.worker_threads)
