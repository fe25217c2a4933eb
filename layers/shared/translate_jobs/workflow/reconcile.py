"""Nothing stuck: jobs whose workflow ended abnormally, or never started, are put right.

* An execution that ends FAILED, TIMED_OUT or ABORTED never reached FinalizeJob: the job is
  finalized here with the same conditional finalize (STOPPED if a stop was requested, FAILED
  otherwise); a job already terminal is left as it is.
* A scheduled sweep finds jobs still unfinished some minutes after Start whose workflow is not
  running (Start wrote the item but failed to start the execution and was never retried, or the
  reconciler missed an event) and starts or finalizes them.
"""

import json
import time
from typing import Any

from translate_jobs.core.observability import logger
from translate_jobs.domain.errors import JobNotFoundError
from translate_jobs.domain.failure import Failure
from translate_jobs.domain.lifecycle import JobStatus
from translate_jobs.workflow import steps
from translate_jobs.workflow.dependencies import WorkflowDependencies
from translate_jobs.workflow.launcher import execution_arn

ABNORMAL_ENDS = ("FAILED", "TIMED_OUT", "ABORTED")


def reconcile_execution(deps: WorkflowDependencies, event: dict[str, Any]) -> dict[str, Any]:
    """A "Step Functions Execution Status Change" event -> the job's terminal status (or nothing)."""
    detail = event.get("detail") or {}
    status = detail.get("status")
    if detail.get("stateMachineArn") != deps.settings.state_machine_arn or status not in ABNORMAL_ENDS:
        logger.info("Not this workflow's abnormal end; ignored", extra={"execution_status": status})
        return {"Action": "NONE"}
    try:
        job_input = json.loads(detail.get("input") or "{}")
        account_id, job_id = job_input["AccountId"], job_input["JobId"]
    except (ValueError, KeyError, TypeError):
        logger.error("Execution input names no job; ignored", extra={"execution_arn": detail.get("executionArn")})
        return {"Action": "NONE"}
    logger.thread_safe_append_keys(job_id=job_id, account_id=account_id)
    cause = detail.get("cause") or detail.get("error") or "no cause was reported"
    failure = Failure(_ended(status), f"The job's workflow ended {status}: {cause}", where=detail.get("executionArn"))
    try:
        result = steps.finalize_job(deps, account_id, job_id, failure=failure)
    except JobNotFoundError:
        logger.warning("Execution for an unknown job; ignored")
        return {"Action": "NONE"}
    return {"Action": "FINALIZED", **result}


def sweep_submitted(deps: WorkflowDependencies, now: float | None = None) -> dict[str, Any]:
    """Put right every job unfinished past the grace period whose workflow is not running.

    * no execution, job SUBMITTED or STOP_REQUESTED: start it (it begins, queues or finalizes);
    * no execution, job IN_PROGRESS: its workflow is gone, finalize it (FAILED, or STOPPED);
    * execution ended but the job did not: the reconciler missed it, finalize it now;
    * execution RUNNING (a long job, or one queued for a slot): leave it.
    """
    cutoff = (now if now is not None else time.time()) - deps.settings.sweep_after_seconds
    arn = deps.settings.state_machine_arn
    assert arn, "STATE_MACHINE_ARN must be set for the sweep"
    sfn, store = deps.sfn, deps.store
    started: list[str] = []
    finalized: list[str] = []
    checked = 0
    for account_id, job_id in store.unfinished_before(cutoff):
        checked += 1
        execution = execution_arn(arn, job_id)
        execution_status = _execution_status(sfn, arn, job_id)
        if execution_status == "RUNNING":
            continue
        job = store.get(account_id, job_id)
        if execution_status == "SUCCEEDED" and job.execution_name:  # a queued job's workflow continued as new
            execution = execution_arn(arn, job.execution_name)
            execution_status = _execution_status(sfn, arn, job.execution_name)
            if execution_status == "RUNNING":
                continue
        if execution_status is None and job.status in (JobStatus.SUBMITTED, JobStatus.STOP_REQUESTED) and not job.holds_slot:
            deps.launcher(account_id, job_id)
            logger.warning("Started the execution of a job that had none", extra={"job_id": job_id})
            started.append(job_id)
            continue
        ended = f"ended {execution_status}" if execution_status else "does not exist"
        # The same names the reconciler gives an abnormal end (messages.WORKFLOW_ENDS), or WorkflowGone.
        name = _ended(execution_status) if execution_status else "WorkflowGone"
        failure = Failure(name, f"The job's workflow execution {ended} before the job finished.", where=execution)
        steps.finalize_job(deps, account_id, job_id, failure=failure)
        logger.warning("Finalized a job whose workflow was gone", extra={"job_id": job_id, "execution": ended})
        finalized.append(job_id)
    return {"Checked": checked, "Started": started, "Finalized": finalized}


def _execution_status(sfn: Any, state_machine_arn: str, name: str) -> str | None:
    try:
        return str(sfn.describe_execution(executionArn=execution_arn(state_machine_arn, name))["status"])
    except sfn.exceptions.ExecutionDoesNotExist:
        return None


def _ended(execution_status: str) -> str:
    """The failure's name for an execution that ended with this status (messages.WORKFLOW_ENDS)."""
    return f"Execution{execution_status.title().replace('_', '')}"
