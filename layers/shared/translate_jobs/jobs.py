"""The job lifecycle: statuses and the rules that move a job between them.

These rules are enforced by DynamoDB condition expressions in ``store``; this module names them
so the conditions and the tests read the same way.
"""

from dataclasses import dataclass
from enum import StrEnum


class JobStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERROR = "COMPLETED_WITH_ERROR"
    FAILED = "FAILED"
    STOP_REQUESTED = "STOP_REQUESTED"
    STOPPED = "STOPPED"


@dataclass(frozen=True)
class StopRequester:
    """Who asked for a stop: kept on the job (StopRequestedBy) and in its state-change events."""

    channel: str  # API, SQS or EventBridge
    principal: str  # the API caller's IAM ARN, the queue message's SenderId, or the event's account
    source: str | None = None  # the queue's ARN, or the event's source

    def as_item(self) -> dict[str, str]:
        item = {"Channel": self.channel, "Principal": self.principal}
        return item | ({"Source": self.source} if self.source else {})


# Stop moves these to STOP_REQUESTED (a SUBMITTED job then never starts work).
STOPPABLE = (JobStatus.SUBMITTED, JobStatus.IN_PROGRESS)
# Finalize moves these to exactly one terminal status.
FINALIZABLE = (JobStatus.IN_PROGRESS, JobStatus.STOP_REQUESTED)
TERMINAL = (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERROR, JobStatus.FAILED, JobStatus.STOPPED)


def outcome(*, status: JobStatus, total: int, translated: int, failed: int, error: str | None) -> tuple[JobStatus, str]:
    """The terminal status (and message) of a job that the workflow is finishing.

    The seed's rule: a job that finished every document before it could be stopped is COMPLETED,
    even if a stop arrived meanwhile; otherwise a stop request makes it STOPPED.
    """
    # total is 0 until the documents are planned: a job stopped before it started has finished nothing.
    finished_all = error is None and total > 0 and translated + failed >= total
    if finished_all:
        if failed == 0:
            return JobStatus.COMPLETED, f"Translated {translated} of {total} documents."
        if translated == 0 and total > 0:
            return JobStatus.FAILED, f"All {total} documents failed to translate; see the details file."
        return (
            JobStatus.COMPLETED_WITH_ERROR,
            f"Translated {translated} of {total} documents; {failed} failed (see the details file).",
        )
    if status == JobStatus.STOP_REQUESTED:
        return JobStatus.STOPPED, f"Stopped on request after {translated + failed} of {total} documents."
    return JobStatus.FAILED, error or f"The job ended after {translated + failed} of {total} documents."
