"""What the rest of the service may ask of the job store: one Protocol per caller, by what each does.

``store.JobStore`` (DynamoDB) satisfies all of them; tests/support/fakes.py holds an in-memory store for
the API's operations. mypy checks both against these (``make lint``), so a fake cannot drift from the real
interface unnoticed, and tests/integration/test_store_contract.py checks they also behave alike.

Every method is scoped to one account (another account's job is indistinguishable from a missing one),
and every write is conditional: a business rule is the condition, not a read before the write.
"""

from collections.abc import Iterator
from typing import Any, Protocol

from translate_jobs.dal.queries import ListQuery
from translate_jobs.domain.job import BatchCount, Job
from translate_jobs.domain.lifecycle import Finalization, JobStatus, StopRequester


class SlotUnavailableError(Exception):
    """Every running slot of the account is taken (or an older job is first in line)."""


class JobStops(Protocol):
    """Stop, for every channel (the API, queue messages, events)."""

    def request_stop(self, account_id: str, job_id: str, now: float, requested_by: StopRequester | None = None) -> JobStatus:
        """SUBMITTED/IN_PROGRESS -> STOP_REQUESTED, recording who asked; any other status is returned unchanged.
        JobNotFoundError for an unknown job."""
        ...


class JobReads(Protocol):
    def get(self, account_id: str, job_id: str) -> Job:
        """The job (strongly consistent), or JobNotFoundError."""
        ...


class ApiJobStore(JobStops, JobReads, Protocol):
    """What the API's operations ask of the store."""

    def create(self, job: Job) -> tuple[Job, bool]:
        """Put a new job and count it queued. If its id exists already, the stored job and False;
        LimitExceededError when the account's queue is full."""
        ...

    def list_jobs(
        self, account_id: str, query: ListQuery, limit: int, exclusive_start_key: dict[str, Any] | None
    ) -> tuple[list[Job], dict[str, Any] | None]:
        """One page of the query's jobs, and the index key to continue after (None on the last page)."""
        ...


class WorkflowJobStore(JobStops, JobReads, Protocol):
    """What the workflow's steps, the reconciler, the sweep and the stop requests ask of the store."""

    def begin(self, account_id: str, job_id: str) -> None:
        """SUBMITTED -> IN_PROGRESS, taking one of the account's running slots; JobStateConflictError with the
        status found, or SlotUnavailableError."""
        ...

    def running_jobs(self, account_id: str) -> int:
        """How many of the account's running slots are taken."""
        ...

    def first_in_queue(self, account_id: str) -> str | None:
        """The JobId of the account's oldest SUBMITTED job, if any."""
        ...

    def continue_in(self, account_id: str, job_id: str, execution_name: str) -> None:
        """Name the execution that carries on waiting for a slot, while the job is still SUBMITTED."""
        ...

    def set_plan(self, account_id: str, job_id: str, documents: int, batches: int) -> None:
        """Record the planned documents and batches, while the job runs (or is stopping)."""
        ...

    def batch_counted(self, account_id: str, job_id: str, batch: int) -> bool:
        """Has an earlier attempt of this batch added its counts?"""
        ...

    def count_batch(self, account_id: str, job_id: str, count: BatchCount, now: float) -> bool:
        """Add one batch's counts exactly once; False if an earlier attempt did."""
        ...

    def finalize(self, account_id: str, job_id: str, finalization: Finalization) -> JobStatus:
        """Move the job from the status the decision was based on to a terminal one, giving back its slot or
        queued place; JobStateConflictError if the status changed meanwhile."""
        ...

    def unfinished_before(self, cutoff: float) -> Iterator[tuple[str, str]]:
        """(account, JobId) of every job not yet terminal submitted before ``cutoff``, oldest first."""
        ...
