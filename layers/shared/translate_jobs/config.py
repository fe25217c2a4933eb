"""Configuration from the environment that template.yaml gives each function, read once."""

import os
from dataclasses import dataclass
from functools import cache


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment mistake, not a request error."""


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigurationError(f"Environment variable {name} must be set (see template.yaml).")
    return value


@dataclass(frozen=True)
class Settings:
    jobs_table_name: str
    region: str
    # Used only when a request carries no IAM identity (the local front, never the deployed API).
    default_account_id: str | None
    state_machine_arn: str | None
    work_bucket: str | None
    batch_size: int
    engine: str


@cache
def settings() -> Settings:
    return Settings(
        jobs_table_name=_required("JOBS_TABLE_NAME"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        default_account_id=os.environ.get("DEFAULT_ACCOUNT_ID") or None,
        state_machine_arn=os.environ.get("STATE_MACHINE_ARN") or None,
        work_bucket=os.environ.get("WORK_BUCKET") or None,
        batch_size=int(os.environ.get("BATCH_SIZE", "10")),
        engine=os.environ.get("TRANSLATION_ENGINE", "pseudo"),
    )
