"""Starting a job's workflow: one Step Functions execution per job, named after the JobId."""

import json
from collections.abc import Callable
from contextlib import suppress

import boto3

from translate_jobs.core.config import per_container, settings


def execution_arn(state_machine_arn: str, job_id: str) -> str:
    """The ARN of the job's execution: the launcher names it after the JobId."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"


@per_container
def workflow_launcher() -> Callable[[str, str], None]:
    """Starts the job's workflow execution, named after the JobId (so starting twice is harmless)."""
    client = boto3.client("stepfunctions", region_name=settings().region)
    state_machine_arn = settings().state_machine_arn

    def launch(account_id: str, job_id: str) -> None:
        if state_machine_arn is None:
            raise RuntimeError("STATE_MACHINE_ARN is not set: this function cannot start jobs.")
        # A retried Start finds the job's execution exists already: nothing to do.
        with suppress(client.exceptions.ExecutionAlreadyExists):
            client.start_execution(
                stateMachineArn=state_machine_arn,
                name=job_id,
                input=json.dumps({"AccountId": account_id, "JobId": job_id}),
            )

    return launch
