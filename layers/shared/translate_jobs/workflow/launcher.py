"""Starting a job's workflow: one Step Functions execution per job, named after the JobId."""

import json
from contextlib import suppress
from dataclasses import dataclass
from typing import Any


def execution_arn(state_machine_arn: str, job_id: str) -> str:
    """The ARN of the job's execution: the launcher names it after the JobId."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"


@dataclass(frozen=True)
class WorkflowLauncher:
    """Starts the job's workflow execution, named after the JobId (so starting twice is harmless)."""

    sfn: Any  # the function's Step Functions client
    state_machine_arn: str | None

    def __call__(self, account_id: str, job_id: str) -> None:
        if self.state_machine_arn is None:
            raise RuntimeError("STATE_MACHINE_ARN is not set: this function cannot start jobs.")
        # A retried Start finds the job's execution exists already: nothing to do.
        with suppress(self.sfn.exceptions.ExecutionAlreadyExists):
            self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn,
                name=job_id,
                input=json.dumps({"AccountId": account_id, "JobId": job_id}),
            )
