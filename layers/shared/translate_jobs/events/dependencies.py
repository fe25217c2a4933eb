"""What the events function is given (functions/events/events.py builds it once per execution environment):
the workflow's dependencies (the reconciler and the sweep finalize and start jobs) and the clients of
events in and out."""

from dataclasses import dataclass
from typing import Any

from translate_jobs.core.clients import OnFirstUse
from translate_jobs.core.config import Settings
from translate_jobs.workflow.dependencies import WorkflowDependencies


@dataclass
class EventsDependencies(WorkflowDependencies):
    events: Any = None  # EventBridge: state changes out (always given: from_settings)
    sqs: Any = None  # SQS: rejected stop requests to the dead-letter queue

    @classmethod
    def from_settings(cls, settings: Settings) -> "EventsDependencies":
        workflow = WorkflowDependencies.from_settings(settings)
        return cls(
            **vars(workflow),
            events=OnFirstUse("events", settings.region),
            sqs=OnFirstUse("sqs", settings.region),
        )
