"""Nothing stuck: jobs whose workflow ended abnormally, or never started, are put right.

* An execution that ends FAILED, TIMED_OUT or ABORTED never reached FinalizeJob: the job is
  finalized here with the same conditional finalize (STOPPED if a stop was requested, FAILED
  otherwise); a job already terminal is left as it is.
* A job still SUBMITTED some minutes after Start whose execution does not exist (Start wrote the
  item, then failed to start the execution and was never retried) gets its execution started.
"""

import json
import os
import time
from functools import cache
from typing import Any

import boto3

from translate_jobs import service, workflow
from translate_jobs.config import settings
from translate_jobs.errors import JobNotFoundError
from translate_jobs.observability import logger
from translate_jobs.store import job_store

ABNORMAL_ENDS = ("FAILED", "TIMED_OUT", "ABORTED")


def reconcile_execution(event: dict[str, Any]) -> dict[str, Any]:
    """A "Step Functions Execution Status Change" event -> the job's terminal status (or nothing)."""
    detail = event.get("detail") or {}
    status = detail.get("status")
    if detail.get("stateMachineArn") != settings().state_machine_arn or status not in ABNORMAL_ENDS:
        logger.info("Not this workflow's abnormal end; ignored", extra={"execution_status": status})
        return {"Action": "NONE"}
    try:
        job_input = json.loads(detail.get("input") or "{}")
        account_id, job_id = job_input["AccountId"], job_input["JobId"]
    except (ValueError, KeyError, TypeError):
        logger.error("Execution input names no job; ignored", extra={"execution_arn": detail.get("executionArn")})
        return {"Action": "NONE"}
    logger.append_keys(job_id=job_id, account_id=account_id)
    cause = detail.get("cause") or detail.get("error") or "no cause was reported"
    error = {"Error": f"Execution{status.title().replace('_', '')}", "Cause": f"The job's workflow ended {status}: {cause}"}
    try:
        result = workflow.finalize_job(account_id, job_id, error=error)
    except JobNotFoundError:
        logger.warning("Execution for an unknown job; ignored")
        return {"Action": "NONE"}
    return {"Action": "FINALIZED", **result}


def sweep_submitted(now: float | None = None) -> dict[str, Any]:
    """Start the execution of every job SUBMITTED longer than the grace period that has none."""
    cutoff = (now if now is not None else time.time()) - sweep_after_seconds()
    arn = settings().state_machine_arn
    assert arn, "STATE_MACHINE_ARN must be set for the sweep"
    sfn = sfn_client()
    started: list[str] = []
    checked = 0
    for job in job_store().submitted_before(cutoff):
        checked += 1
        execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{job.job_id}"
        try:
            sfn.describe_execution(executionArn=execution_arn)
            continue  # it exists: still queued, or its end is the reconciler's to handle
        except sfn.exceptions.ExecutionDoesNotExist:
            pass
        service.workflow_launcher()(job.account_id, job.job_id)
        logger.warning("Started the execution of a job left SUBMITTED", extra={"job_id": job.job_id})
        started.append(job.job_id)
    return {"Checked": checked, "Started": started}


@cache
def sweep_after_seconds() -> float:
    return float(os.environ.get("SWEEP_AFTER_MINUTES", "10")) * 60


@cache
def sfn_client() -> Any:
    return boto3.client("stepfunctions", region_name=settings().region)
