"""The event-driven functions: state-change events out, stop requests in, and the reconciler.

Each handler is thin; the logic lives in translate_jobs.events.state_changes, .events.stop_requests and .workflow.reconcile.
This module is each events function's composition root: when its execution environment starts it reads the
function's settings and builds the store and the clients (``DEPENDENCIES``), which every invocation is
given; a test injects its own with ``handler(event, context, dependencies=...)``.
"""

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from translate_jobs.core.config import Settings
from translate_jobs.core.observability import observed
from translate_jobs.events import state_changes, stop_requests
from translate_jobs.events.dependencies import EventsDependencies
from translate_jobs.workflow import reconcile

# Once per execution environment; fails at cold start if the template left something out.
DEPENDENCIES = EventsDependencies.from_settings(Settings.from_environ(os.environ))


@observed()
def publish_job_events(
    event: dict[str, Any], context: LambdaContext, dependencies: EventsDependencies | None = None
) -> dict[str, Any]:
    """JobsTable stream -> one EventBridge event per JobStatus change (ReportBatchItemFailures)."""
    return state_changes.publish_job_events(dependencies or DEPENDENCIES, event, context)


@observed()
def process_stop_requests(
    event: dict[str, Any], context: LambdaContext, dependencies: EventsDependencies | None = None
) -> dict[str, Any]:
    """Stop requests: an SQS batch (ReportBatchItemFailures) or one EventBridge event."""
    if "Records" in event:
        return stop_requests.process_stop_queue(dependencies or DEPENDENCIES, event, context)
    return stop_requests.process_stop_event(dependencies or DEPENDENCIES, event)


@observed()
def reconcile_execution(
    event: dict[str, Any], context: LambdaContext, dependencies: EventsDependencies | None = None
) -> dict[str, Any]:
    """A workflow execution that ended FAILED, TIMED_OUT or ABORTED -> the job finalized."""
    return reconcile.reconcile_execution(dependencies or DEPENDENCIES, event)


@observed()
def sweep_submitted(
    event: dict[str, Any], context: LambdaContext, dependencies: EventsDependencies | None = None
) -> dict[str, Any]:
    """Scheduled: start the execution of jobs left SUBMITTED without one."""
    return reconcile.sweep_submitted(dependencies or DEPENDENCIES)
