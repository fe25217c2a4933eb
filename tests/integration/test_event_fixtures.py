"""Every event in events/stream/, events/stop-requests/, events/reconciler/ and events/sweep/ (the
shapes `sam local invoke -e` takes) through its function. A new file without an expectation fails."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from local_stack.template import ROOT
from tests.support.events import capture_events, drain
from tests.support.stack import ACCOUNT, put_job

FOLDERS = ("stream", "stop-requests", "reconciler", "sweep")
JOB_ID = "0123456789abcdef0123456789abcdef"


@dataclass
class Expectation:
    function: str
    result: Any
    status_before: str | None  # None: no job
    status_after: str | None
    published: list[str] = field(default_factory=list)  # jobStatus of each event on the bus
    fields: dict[str, Any] = field(default_factory=dict)
    check: Callable[[], None] | None = None


EXPECTATIONS = {
    "stream/insert-submitted.json": Expectation("JobEventsFunction", {"batchItemFailures": []}, None, None, ["SUBMITTED"]),
    "stream/modify-completed.json": Expectation("JobEventsFunction", {"batchItemFailures": []}, None, None, ["COMPLETED"]),
    "stream/modify-counts-only.json": Expectation("JobEventsFunction", {"batchItemFailures": []}, None, None, []),
    # one stopped, one not JSON (to the dead-letter queue), one unknown job (ignored): none redelivered
    "stop-requests/sqs-batch.json": Expectation(
        "StopRequestFunction", {"batchItemFailures": []}, "IN_PROGRESS", "STOP_REQUESTED"
    ),
    "stop-requests/eventbridge-stop.json": Expectation(
        "StopRequestFunction", {"JobStatus": "STOP_REQUESTED"}, "SUBMITTED", "STOP_REQUESTED"
    ),
    "reconciler/execution-failed.json": Expectation(
        "ReconcilerFunction", {"Action": "FINALIZED", "JobStatus": "FAILED"}, "IN_PROGRESS", "FAILED"
    ),
    "reconciler/execution-timed-out.json": Expectation(
        "ReconcilerFunction", {"Action": "FINALIZED", "JobStatus": "STOPPED"}, "STOP_REQUESTED", "STOPPED"
    ),
    "reconciler/execution-aborted.json": Expectation(
        "ReconcilerFunction", {"Action": "FINALIZED", "JobStatus": "FAILED"}, "SUBMITTED", "FAILED"
    ),
    "sweep/scheduled.json": Expectation(
        "SweepFunction",
        {"Checked": 1, "Started": [JOB_ID], "Finalized": []},
        "SUBMITTED",
        "SUBMITTED",
        fields={"submitted_time": time.time() - 3600},
    ),
}


def event_files() -> list[str]:
    return sorted(f"{folder}/{path.name}" for folder in FOLDERS for path in (ROOT / "events" / folder).glob("*.json"))


def test_every_event_file_has_an_expectation():
    assert event_files() == sorted(EXPECTATIONS)


@pytest.mark.parametrize("name", event_files())
def test_event_runs_through_its_function(stack, monkeypatch, name):
    assert name in EXPECTATIONS, f"events/{name} has no expectation in {__file__}"
    expected = EXPECTATIONS[name]
    stack.runtime.update_configuration("StopRequestFunction", STOP_REQUEST_ACCOUNTS=ACCOUNT)
    capture_events(stack)
    if expected.status_before:
        put_job(expected.status_before, job_id=JOB_ID, **expected.fields)
    event = json.loads((ROOT / "events" / name).read_text())

    result = stack.runtime.invoke(expected.function, event)

    assert result == expected.result
    assert [event["body"]["detail"]["jobStatus"] for event in drain()] == expected.published
    if expected.status_after:
        from tests.support.stack import job_store

        assert job_store().get(ACCOUNT, JOB_ID).job_status == expected.status_after
    if name == "stop-requests/sqs-batch.json":
        assert [message["body"] for message in drain("translate-jobs-StopRequestDeadLetterQueue")] == ["not json"]
