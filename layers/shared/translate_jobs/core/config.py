"""Configuration from the environment that template.yaml gives each function, read once."""

import os
from dataclasses import dataclass, field
from functools import cache, cached_property

import boto3

MIN_SECRET_LENGTH = 16


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment mistake, not a request error."""


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigurationError(f"Environment variable {name} must be set (see template.yaml).")
    return value


@dataclass(frozen=True)
class Quotas:
    """Account and job limits (template parameters), defaulting to Amazon Translate's."""

    usage_table_name: str | None = None
    max_concurrent_jobs: int = 10
    max_queued_jobs: int = 1000
    max_documents_per_job: int = 1_000_000
    max_job_bytes: int = 5 * 1024**3
    max_target_languages: int = 10
    queue_poll_seconds: int = 10

    @classmethod
    def from_env(cls) -> "Quotas":
        return cls(
            usage_table_name=os.environ.get("ACCOUNT_USAGE_TABLE_NAME") or None,
            max_concurrent_jobs=int(os.environ.get("MAX_CONCURRENT_JOBS", cls.max_concurrent_jobs)),
            max_queued_jobs=int(os.environ.get("MAX_QUEUED_JOBS", cls.max_queued_jobs)),
            max_documents_per_job=int(os.environ.get("MAX_DOCUMENTS_PER_JOB", cls.max_documents_per_job)),
            max_job_bytes=int(os.environ.get("MAX_JOB_BYTES", cls.max_job_bytes)),
            max_target_languages=int(os.environ.get("MAX_TARGET_LANGUAGES", cls.max_target_languages)),
            queue_poll_seconds=int(os.environ.get("QUEUE_POLL_SECONDS", cls.queue_poll_seconds)),
        )


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
    # The Secrets Manager secret (template resource PaginationTokenSecret) whose value is the
    # HMAC-SHA256 key that signs List's NextToken; only the API function is given one.
    next_token_secret_arn: str | None = None
    # The batches already counted (store.JobStore.count_batch): one marker item per batch.
    batch_counts_table_name: str | None = None
    quotas: "Quotas" = field(default_factory=lambda: Quotas())

    @cached_property
    def _next_token_secret(self) -> str:
        # Read on the first List of this execution environment, then kept: once per cold start.
        if self.next_token_secret_arn is None:
            raise ConfigurationError("Environment variable NEXT_TOKEN_SECRET_ARN must be set (see template.yaml).")
        client = boto3.client("secretsmanager", region_name=self.region)
        secret = str(client.get_secret_value(SecretId=self.next_token_secret_arn)["SecretString"])
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"The secret {self.next_token_secret_arn} must be at least {MIN_SECRET_LENGTH} characters long."
            )
        return secret

    def pagination_secret(self) -> str:
        """The NextToken key, from Secrets Manager (generated per deployment by template.yaml)."""
        return self._next_token_secret


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
        next_token_secret_arn=os.environ.get("NEXT_TOKEN_SECRET_ARN") or None,
        batch_counts_table_name=os.environ.get("BATCH_COUNTS_TABLE_NAME") or None,
        quotas=Quotas.from_env(),
    )
