import pytest
from pydantic import ValidationError

from shared.settings import Settings
from workers.app import TASK_NAMES, create_app
from workers.tasks import ChunkPayload, JobPayload, app


def test_app_follows_the_delivery_conventions():
    settings = Settings(broker_url="redis://127.0.0.1:6399/0", task_time_limit_s=600, visibility_timeout_s=900)
    conf = create_app(settings).conf
    assert conf.task_serializer == conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit == 600 and conf.task_soft_time_limit < 600
    assert conf.broker_transport_options["visibility_timeout"] == 900 > conf.task_time_limit
    assert conf.broker_url == "redis://127.0.0.1:6399/0"


def test_visibility_timeout_must_exceed_the_time_limit():
    with pytest.raises(ValidationError, match="VISIBILITY_TIMEOUT"):
        Settings(task_time_limit_s=600, visibility_timeout_s=600)


def test_tasks_are_registered_under_their_names():
    assert set(TASK_NAMES.values()) <= set(app.tasks)


@pytest.mark.parametrize(
    "payload", [{"job_id": "rec-1", "chunk": -1}, {"job_id": "../etc", "chunk": 0}, {"job_id": "a", "chunk": 0, "x": 1}]
)
def test_chunk_payloads_are_validated(payload):
    with pytest.raises(ValidationError):
        ChunkPayload.model_validate(payload)


def test_job_payload_rejects_path_like_ids():
    with pytest.raises(ValidationError):
        JobPayload.model_validate({"job_id": "jobs/x"})
