"""The one settings object, read from ``RECSYS_*`` environment variables at the entrypoint."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-level settings. Build it once at the edge and pass it down."""

    model_config = SettingsConfigDict(env_prefix="RECSYS_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where raw datasets are cached and looked up.")
    output_dir: Path = Field(
        Path("outputs"), description="Local folder for prepared splits, models and metrics."
    )
    store_url: str = Field("file://store", description="s3://bucket/prefix or file:///path.")
    s3_endpoint_url: str | None = Field(None, description="S3 API endpoint (SeaweedFS, MinIO, AWS...).")
    s3_public_endpoint_url: str | None = Field(None, description="Endpoint used only to sign client URLs.")
    s3_max_attempts: int = Field(5, ge=1, le=20, description="Attempts per S3 call (standard retry mode).")
    s3_connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to open a connection to S3.")
    s3_read_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for S3 to answer.")
    s3_multipart_threshold_mb: int = Field(64, ge=5, description="Uploads above this size go multipart.")
    broker_url: str | None = Field(None, description="redis://host:6379/0; unset runs chunks in-process.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Torch device for training and scoring.")
    seed: int = Field(0, description="Global seed; every stage derives its own from it.")
    torch_threads: int = Field(
        0, ge=0, description="CPU threads for torch; 0 keeps torch's default. 1 is fastest for small batches."
    )
    queue: str = Field("recsys", description="Celery queue the batch chunk tasks go to.")
    chunk_size: int = Field(2000, ge=1, description="Users per chunk task when a job does not say.")
    max_attempts: int = Field(3, ge=1, description="Deliveries of one chunk before its job is FAILED.")
    task_time_limit_s: int = Field(1800, ge=1, description="Hard time limit of one chunk task.")
    visibility_timeout_s: int = Field(7200, ge=1, description="Redis redelivers unacked tasks after this.")
    worker_threads: int = Field(1, ge=1, description="Torch/FAISS threads per worker process.")

    @model_validator(mode="after")
    def _visibility_above_limit(self) -> "Settings":
        if self.visibility_timeout_s <= self.task_time_limit_s:
            raise ValueError(
                "RECSYS_VISIBILITY_TIMEOUT_S must exceed RECSYS_TASK_TIME_LIMIT_S, or long tasks run twice"
            )
        return self
