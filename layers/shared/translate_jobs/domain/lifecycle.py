"""The job lifecycle: statuses and the rules that move a job between them.

These rules are enforced by DynamoDB condition expressions in ``store``; this module names them
so the conditions and the tests read the same way.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from translate_jobs.domain import messages


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

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "StopRequester":
        return cls(str(item["Channel"]), str(item["Principal"]), str(item["Source"]) if item.get("Source") else None)


@dataclass(frozen=True)
class Finalization:
    """One job's move to a terminal status, as FinalizeJob decided it.

    ``expected`` is the status the decision was based on (normally IN_PROGRESS or STOP_REQUESTED;
    SUBMITTED when the workflow failed before it could begin the job); the write happens only if the job
    still has it. ``held_slot``: the job holds one of the account's running slots (it began), else it
    still counts as queued; the terminal write gives back the one it holds.
    """

    status: "JobStatus"
    message: str
    expected: "JobStatus"
    end_time: float
    held_slot: bool

    def __post_init__(self) -> None:
        if self.status not in TERMINAL or self.expected in TERMINAL:
            raise ValueError(f"A job is finalized from an unfinished to a terminal status, not {self.expected} -> {self.status}")


# Stop moves these to STOP_REQUESTED (a SUBMITTED job then never starts work).
STOPPABLE = (JobStatus.SUBMITTED, JobStatus.IN_PROGRESS)
# Finalize moves these to exactly one terminal status.
FINALIZABLE = (JobStatus.IN_PROGRESS, JobStatus.STOP_REQUESTED)
TERMINAL = (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERROR, JobStatus.FAILED, JobStatus.STOPPED)


def outcome(
    *, status: JobStatus, total: int, translated: int, failed: int, error: str | None, first_failure: str | None = None
) -> tuple[JobStatus, str]:
    """The terminal status (and message, see ``messages``) of a job that the workflow is finishing.

    The seed's rule: a job that finished every document before it could be stopped is COMPLETED,
    even if a stop arrived meanwhile; otherwise a stop request makes it STOPPED. ``error`` is the
    message of a failure that ended the workflow; ``first_failure`` the first failed document's reason.
    """
    # total is 0 until the documents are planned: a job stopped before it started has finished nothing.
    finished_all = error is None and total > 0 and translated + failed >= total
    if finished_all:
        if failed == 0:
            return JobStatus.COMPLETED, messages.completed(total)
        if translated == 0:
            return JobStatus.FAILED, messages.all_documents_failed(total, first_failure)
        return JobStatus.COMPLETED_WITH_ERROR, messages.completed_with_error(translated, failed, total)
    if status == JobStatus.STOP_REQUESTED:
        return JobStatus.STOPPED, messages.stopped(translated + failed, total)
    return JobStatus.FAILED, error or messages.failure(None, translated + failed, total)
