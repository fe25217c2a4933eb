"""Configuration from the environment that template.yaml gives each function: one ``Settings`` per
execution environment, read by the function's module (functions/*/, the composition root) when it starts
and handed down with the clients and the store built from it, never fetched from a module-level singleton.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

MIN_SECRET_LENGTH = 16
# A batch's documents and bytes when the template leaves them to the engine (BatchSize/BatchMaxBytes 0): one
# Map iteration's worth of work. ctranslate2 translates on the function's own CPU, and more text at once
# translates faster (make bench-engine; docs/engines.md): larger batches by count, smaller by bytes, so a
# batch of large documents still ends well within the function's 900 s.
BATCH_DEFAULTS = {"ctranslate2": (50, 128 * 1024)}
DEFAULT_BATCH = (10, 5 * 1024 * 1024)


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment mistake, not a request error."""


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
    max_terminologies: int = 100  # per account (Amazon Translate's quota)
    max_parallel_data: int = 1000  # per account
    max_parallel_data_bytes: int = 2 * 1024**3  # a parallel data file (template.yaml says why not AWS's 5 GB)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "Quotas":
        return cls(
            usage_table_name=environ.get("ACCOUNT_USAGE_TABLE_NAME") or None,
            max_concurrent_jobs=int(environ.get("MAX_CONCURRENT_JOBS", cls.max_concurrent_jobs)),
            max_queued_jobs=int(environ.get("MAX_QUEUED_JOBS", cls.max_queued_jobs)),
            max_documents_per_job=int(environ.get("MAX_DOCUMENTS_PER_JOB", cls.max_documents_per_job)),
            max_job_bytes=int(environ.get("MAX_JOB_BYTES", cls.max_job_bytes)),
            max_target_languages=int(environ.get("MAX_TARGET_LANGUAGES", cls.max_target_languages)),
            queue_poll_seconds=int(environ.get("QUEUE_POLL_SECONDS", cls.queue_poll_seconds)),
            max_terminologies=int(environ.get("MAX_TERMINOLOGIES", cls.max_terminologies)),
            max_parallel_data=int(environ.get("MAX_PARALLEL_DATA", cls.max_parallel_data)),
            max_parallel_data_bytes=int(environ.get("MAX_PARALLEL_DATA_BYTES", cls.max_parallel_data_bytes)),
        )


@dataclass(frozen=True)
class EngineSettings:
    """The translation engine (template parameters TranslationEngine, TranslationModels, Engine*, BedrockModelId)."""

    name: str = "pseudo"
    # ctranslate2: Argos Translate packages, under an S3 prefix (s3://bucket/prefix/) or in a folder.
    models: str = ""
    # ctranslate2's decoding (docs/engines.md has the measurements behind each default).
    beam_size: int = 2
    max_batch_tokens: int = 2048  # translate_batch's max_batch_size, in tokens
    length_ratio: float = 2.0  # a translation ends after at most ratio x its source's tokens + 16
    threads: int = 0  # CPU threads; 0: all the function's vCPUs
    bedrock_model_id: str = ""
    # Where packages from S3 are unpacked (Lambda: /tmp, the function's EphemeralStorage), and the
    # function's memory (Lambda sets it), which bounds the models kept loaded.
    model_cache_dir: str = "/tmp/translate-jobs-models"
    memory_mb: int = 0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "EngineSettings":
        return cls(
            name=environ.get("TRANSLATION_ENGINE", cls.name),
            models=environ.get("TRANSLATION_MODELS", ""),
            beam_size=int(environ.get("ENGINE_BEAM_SIZE", cls.beam_size)),
            max_batch_tokens=int(environ.get("ENGINE_MAX_BATCH_TOKENS", cls.max_batch_tokens)),
            length_ratio=float(environ.get("ENGINE_LENGTH_RATIO", cls.length_ratio)),
            threads=int(environ.get("ENGINE_THREADS", cls.threads)),
            bedrock_model_id=environ.get("BEDROCK_MODEL_ID", ""),
            model_cache_dir=environ.get("MODEL_CACHE_DIR") or cls.model_cache_dir,
            memory_mb=int(environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", 0)),
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
    engine: EngineSettings
    # A batch closes before its documents reach this many bytes (a larger document is a batch of its own).
    batch_max_bytes: int = 5 * 1024 * 1024
    # The Secrets Manager secret (template resource PaginationTokenSecret) whose value is the
    # HMAC-SHA256 key that signs List's NextToken; only the API function is given one.
    next_token_secret_arn: str | None = None
    # The batches already counted (store.JobStore.count_batch): one marker item per batch.
    batch_counts_table_name: str | None = None
    quotas: "Quotas" = field(default_factory=lambda: Quotas())
    # The events function's: the bus state changes go to, who may send stop requests and where the
    # rejected ones go, and how long after Start the sweep looks at an unfinished job.
    event_bus_name: str | None = None
    stop_request_accounts: frozenset[str] = frozenset()
    stop_request_dlq_url: str | None = None
    sweep_after_seconds: float = 600.0
    # Terminologies and parallel data: their table and the bucket of their files, and the workflow that imports
    # (and deletes) parallel data.
    customizations_table_name: str | None = None
    customizations_bucket: str | None = None
    parallel_data_state_machine_arn: str | None = None
    # The S3 endpoint that presigned download URLs name: unset on AWS (S3's own); locally the emulator's, which the
    # functions (served by moto in-process) do not otherwise use.
    presigned_s3_endpoint: str | None = None
    # The API function's: the function that translates TranslateText's and TranslateDocument's requests.
    translate_function_name: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Settings":
        """A function's settings, from its environment (on Lambda, the process's: template.yaml's variables).
        A variable the template must give and did not fails here, when the function starts."""
        engine = EngineSettings.from_environ(environ)
        batch_size, batch_max_bytes = BATCH_DEFAULTS.get(engine.name, DEFAULT_BATCH)
        return cls(
            jobs_table_name=required(environ.get("JOBS_TABLE_NAME"), "JOBS_TABLE_NAME"),
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            default_account_id=environ.get("DEFAULT_ACCOUNT_ID") or None,
            state_machine_arn=environ.get("STATE_MACHINE_ARN") or None,
            work_bucket=environ.get("WORK_BUCKET") or None,
            batch_size=int(environ.get("BATCH_SIZE") or 0) or batch_size,
            batch_max_bytes=int(environ.get("BATCH_MAX_BYTES") or 0) or batch_max_bytes,
            engine=engine,
            next_token_secret_arn=environ.get("NEXT_TOKEN_SECRET_ARN") or None,
            batch_counts_table_name=environ.get("BATCH_COUNTS_TABLE_NAME") or None,
            quotas=Quotas.from_environ(environ),
            event_bus_name=environ.get("EVENT_BUS_NAME") or None,
            # StopRequestAccounts (comma-separated): the only accounts whose jobs messages may stop.
            stop_request_accounts=frozenset(
                account.strip() for account in environ.get("STOP_REQUEST_ACCOUNTS", "").split(",") if account.strip()
            ),
            stop_request_dlq_url=environ.get("STOP_REQUEST_DLQ_URL") or None,
            sweep_after_seconds=float(environ.get("SWEEP_AFTER_MINUTES", "10")) * 60,
            customizations_table_name=environ.get("CUSTOMIZATIONS_TABLE_NAME") or None,
            customizations_bucket=environ.get("CUSTOMIZATIONS_BUCKET") or None,
            parallel_data_state_machine_arn=environ.get("PARALLEL_DATA_STATE_MACHINE_ARN") or None,
            presigned_s3_endpoint=environ.get("PRESIGNED_S3_ENDPOINT") or None,
            translate_function_name=environ.get("TRANSLATE_FUNCTION_NAME") or None,
        )

    @cached_property
    def _next_token_secret(self) -> str:
        # Read on the first List of this execution environment, then kept: once per cold start.
        if self.next_token_secret_arn is None:
            raise ConfigurationError("Environment variable NEXT_TOKEN_SECRET_ARN must be set (see template.yaml).")
        import boto3  # here, not at the top: only List needs it, and boto3 costs ~40 ms of a cold start

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


def required(value: str | None, name: str) -> str:
    """A setting this function needs: a missing one is the template's mistake, named as such."""
    if not value:
        raise ConfigurationError(f"Environment variable {name} must be set (see template.yaml).")
    return value
