"""Configuration from the environment that template.yaml gives each function, read once."""

import os
from dataclasses import dataclass
from functools import cache

MIN_SECRET_LENGTH = 16


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
    # HMAC-SHA256 key that signs List's NextToken (template parameter PaginationTokenSecret).
    next_token_secret: str | None = None

    def __post_init__(self) -> None:
        if self.next_token_secret is not None and len(self.next_token_secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"NEXT_TOKEN_SECRET must be at least {MIN_SECRET_LENGTH} characters (template parameter PaginationTokenSecret)."
            )

    def pagination_secret(self) -> str:
        """The NextToken key; only the functions that list jobs are given one."""
        if self.next_token_secret is None:
            raise ConfigurationError("Environment variable NEXT_TOKEN_SECRET must be set (see template.yaml).")
        return self.next_token_secret


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
        next_token_secret=os.environ.get("NEXT_TOKEN_SECRET") or None,
    )
