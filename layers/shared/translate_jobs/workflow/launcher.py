"""Starting a job's workflow (one Step Functions execution per job, named after the JobId), and handing a
TranslateText or TranslateDocument request to TranslateFunction."""

import json
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from translate_jobs.core import transient
from translate_jobs.core.config import ConfigurationError
from translate_jobs.domain import errors


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


@dataclass(frozen=True)
class FunctionTranslator:
    """Hands a request to TranslateFunction (a synchronous Lambda invocation) and gives back its answer, raising its
    refusal as the domain error it names."""

    lambda_client: Any
    function_name: str | None

    def __call__(self, operation: str, account_id: str, request: dict[str, Any]) -> dict[str, Any]:
        if not self.function_name:
            raise ConfigurationError("Environment variable TRANSLATE_FUNCTION_NAME must be set (see template.yaml).")
        payload = json.dumps({"Operation": operation, "AccountId": account_id, "Request": request})
        with transient.retried_if_transient(f"asking {self.function_name} to translate"):
            answer = self.lambda_client.invoke(FunctionName=self.function_name, Payload=payload.encode())
        body = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):  # its own failure (logged there): this request's answer is a 500
            raise RuntimeError(f"{self.function_name} failed: {str(body.get('errorType', ''))[:100]}")
        if "Error" in body:
            kind = getattr(errors, str(body["Error"].get("Type")), None)
            if not (isinstance(kind, type) and issubclass(kind, errors.TranslateJobsError)):
                raise RuntimeError(f"{self.function_name} answered an unknown refusal")
            raise kind(str(body["Error"].get("Message", "")))
        return dict(body)
