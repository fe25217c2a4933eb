"""A failure that ends a job: the one value FinalizeJob, the reconciler and the sweep describe it with."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """Why the workflow could not finish a job: what FinalizeJob and the reconciler end it FAILED with.

    ``error`` names what failed (a worker's exception, a Lambda runtime error such as
    Runtime.OutOfMemory, or Execution<Status> / WorkflowGone from the reconciler and the sweep);
    ``cause`` is its text (user-facing for the names in ``messages.USER_FACING``/``TRANSIENT``, else
    logged only); ``where`` says where it was seen (a step, an execution), for the log.
    """

    error: str
    cause: str = ""
    where: str | None = None
