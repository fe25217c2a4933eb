"""The event-driven functions: state-change events out, stop requests in, and the reconciler.

Each handler is thin; the logic lives in translate_jobs.events.state_changes, .events.stop_requests and .workflow.reconcile.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from translate_jobs.core.config import settings
from translate_jobs.core.observability import observed
from translate_jobs.events import state_changes, stop_requests
from translate_jobs.workflow import reconcile

settings()  # fail at cold start if the template left something out


@observed()
def publish_job_events(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """JobsTable stream -> one EventBridge event per JobStatus change (ReportBatchItemFailures)."""
    return state_changes.publish_job_events(event, context)


@observed()
def process_stop_requests(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Stop requests: an SQS batch (ReportBatchItemFailures) or one EventBridge event."""
    if "Records" in event:
        return stop_requests.process_stop_queue(event, context)
    return stop_requests.process_stop_event(event)


@observed()
def reconcile_execution(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """A workflow execution that ended FAILED, TIMED_OUT or ABORTED -> the job finalized."""
    return reconcile.reconcile_execution(event)


@observed()
def sweep_submitted(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Scheduled: start the execution of jobs left SUBMITTED without one."""
    return reconcile.sweep_submitted()
