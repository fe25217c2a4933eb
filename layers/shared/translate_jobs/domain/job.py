"""A job as the service knows it: what the store returns, what the operations and the workflow read.

Frozen, and free of storage: the store (dal/store.py) turns its items into ``Job`` values, and the
API (api/operations.py ``job_properties``) turns a ``Job`` into the wire's TextTranslationJobProperties.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from translate_jobs.domain.lifecycle import JobStatus, StopRequester


@dataclass(frozen=True)
class JobDetails:
    """The job's document counts (the wire's JobDetails)."""

    input_documents_count: int = 0
    translated_documents_count: int = 0
    documents_with_errors_count: int = 0

    def as_wire(self) -> dict[str, int]:
        return {
            "TranslatedDocumentsCount": self.translated_documents_count,
            "DocumentsWithErrorsCount": self.documents_with_errors_count,
            "InputDocumentsCount": self.input_documents_count,
        }


@dataclass(frozen=True)
class BatchCount:
    """What one batch of a job adds to its JobDetails: counted once, however often the batch is retried."""

    batch: int
    translated: int
    failed: int


@dataclass(frozen=True)
class Job:
    """One batch translation job: every TextTranslationJobProperties field, plus what a run needs."""

    account_id: str
    job_id: str
    status: JobStatus
    submitted_time: float
    source_language_code: str
    target_language_codes: tuple[str, ...]
    input_data_config: Mapping[str, Any]  # S3Uri, ContentType
    output_data_config: Mapping[str, Any]  # S3Uri (the job's own prefix), EncryptionKey
    data_access_role_arn: str
    job_name: str | None = None
    message: str | None = None
    end_time: float | None = None
    terminology_names: tuple[str, ...] = ()
    parallel_data_names: tuple[str, ...] = ()
    settings: Mapping[str, Any] | None = None
    input_documents_count: int = 0
    translated_documents_count: int = 0
    documents_with_errors_count: int = 0
    # What a run needs.
    client_token: str | None = None
    request_fingerprint: str | None = None
    batch_count: int | None = None
    # Set when a queued job's workflow continues as a new execution (workflow/steps.py begin_job): the one to watch.
    execution_name: str | None = None
    stop_requested_time: float | None = None
    stop_requested_by: StopRequester | None = None
    holds_slot: bool = False  # it took one of the account's running slots; finalize gives it back

    @property
    def job_status(self) -> str:
        """The status under the wire's name (JobStatus)."""
        return self.status.value

    @property
    def job_details(self) -> JobDetails:
        """The document counts under the wire's name (JobDetails)."""
        return JobDetails(self.input_documents_count, self.translated_documents_count, self.documents_with_errors_count)
