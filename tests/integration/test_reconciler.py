"""Nothing stuck: a workflow that ended FAILED/TIMED_OUT/ABORTED finalizes its job (ReconcilerFunction),
and jobs left SUBMITTED without an execution get one (SweepFunction)."""

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, execution_arn, put_job, wait_for_execution


@pytest.fixture
def reconciler(stack: Any) -> Any:
    return stack


def execution_event(stack: Any, job_id: str, status: str, *, machine: str | None = None, **detail: Any) -> dict[str, Any]:
    """The "Step Functions Execution Status Change" event Step Functions puts on the default bus."""
    arn = execution_arn(stack, job_id)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": machine or stack.state_machine_arn,
            "name": job_id,
            "status": status,
            "startDate": 1767225600000,
            "stopDate": 1767225660000,
            "input": json.dumps({"AccountId": ACCOUNT, "JobId": job_id}),
            "output": None,
            "error": detail.get("error"),
            "cause": detail.get("cause"),
        },
    }


def job(job_id: str) -> Any:
    from tests.support.stack import job_store

    return job_store().get(ACCOUNT, job_id)


@pytest.mark.parametrize(
    ("before", "execution_status", "after"),
    [
        ("IN_PROGRESS", "FAILED", "FAILED"),
        ("IN_PROGRESS", "TIMED_OUT", "FAILED"),
        ("SUBMITTED", "ABORTED", "FAILED"),
        ("STOP_REQUESTED", "FAILED", "STOPPED"),
        ("STOP_REQUESTED", "ABORTED", "STOPPED"),
    ],
)
def test_an_abnormal_end_finalizes_the_job(reconciler, before, execution_status, after):
    job_id = put_job(before)
    event = execution_event(reconciler, job_id, execution_status, error="States.Runtime", cause="boom")

    result = reconciler.runtime.invoke("ReconcilerFunction", event)

    assert result == {"Action": "FINALIZED", "JobStatus": after}
    record = job(job_id)
    assert record.job_status == after and record.end_time is not None
    if after == "FAILED":
        ended = {"FAILED": "failed", "TIMED_OUT": "timed out", "ABORTED": "was stopped"}[execution_status]
        # Step Functions' cause ("boom") is for the logs, not for the user
        assert record.message == (
            f"The job's workflow {ended} before any document was translated, before the job finished. Start the job again."
        )


@pytest.mark.parametrize("terminal", ["COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"])
def test_a_job_already_terminal_is_left_as_it_is_with_no_write(reconciler, terminal):
    from tests.support.stack import job_store

    job_id = put_job(terminal, message="done")
    writes: list[str] = []
    job_store().client().meta.events.register("before-call.dynamodb.UpdateItem", lambda **kwargs: writes.append("UpdateItem"))

    result = reconciler.runtime.invoke("ReconcilerFunction", execution_event(reconciler, job_id, "FAILED"))

    assert result == {"Action": "FINALIZED", "JobStatus": terminal}
    assert writes == [] and job(job_id).message == "done"


def test_events_of_other_state_machines_or_unknown_jobs_change_nothing(reconciler):
    job_id = put_job("IN_PROGRESS")
    other = reconciler.state_machine_arn + "-other"
    assert reconciler.runtime.invoke("ReconcilerFunction", execution_event(reconciler, job_id, "FAILED", machine=other)) == {
        "Action": "NONE"
    }
    assert reconciler.runtime.invoke("ReconcilerFunction", execution_event(reconciler, uuid.uuid4().hex, "FAILED")) == {
        "Action": "NONE"
    }
    assert job(job_id).job_status == "IN_PROGRESS"


def test_the_sweep_starts_or_finalizes_old_unfinished_jobs_whose_workflow_is_not_running(reconciler):
    # Given old unfinished jobs in every situation, a recent one, and an old finished one
    old = time.time() - 30 * 60
    never_started = put_job("SUBMITTED", submitted_time=old)
    stopped_while_queued = put_job("STOP_REQUESTED", submitted_time=old)
    workflow_gone = put_job("IN_PROGRESS", submitted_time=old, holds_slot=True)
    execution_ended = put_job("SUBMITTED", submitted_time=old)
    recent = put_job("SUBMITTED")
    finished = put_job("COMPLETED", submitted_time=old)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    # (an execution under this job's name that ends FAILED without finalizing it: its input names no job)
    sfn.start_execution(
        stateMachineArn=reconciler.state_machine_arn,
        name=execution_ended,
        input=json.dumps({"AccountId": ACCOUNT, "JobId": "y" * 32}),
    )
    assert wait_for_execution(reconciler, execution_ended)["status"] == "FAILED"

    # When the sweep runs
    result = reconciler.runtime.invoke("SweepFunction", {})

    # Then it read only the old unfinished jobs, started those with no execution that never began,
    # and finalized those whose workflow is gone or ended
    assert result["Checked"] == 4
    assert sorted(result["Started"]) == sorted([never_started, stopped_while_queued])
    assert sorted(result["Finalized"]) == sorted([workflow_gone, execution_ended])
    started = sfn.describe_execution(executionArn=execution_arn(reconciler, never_started))
    assert json.loads(started["input"]) == {"AccountId": ACCOUNT, "JobId": never_started}
    assert job(workflow_gone).job_status == "FAILED" and "was no longer running" in job(workflow_gone).message
    assert job(execution_ended).job_status == "FAILED" and "workflow failed" in job(execution_ended).message
    for job_id in (recent, finished):
        with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
            sfn.describe_execution(executionArn=execution_arn(reconciler, job_id))
    assert job(finished).job_status == "COMPLETED"
