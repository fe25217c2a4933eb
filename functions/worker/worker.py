"""The worker Lambdas of the job workflow (one handler per Task of statemachine/translation_job.asl.json).

Finalizing to STOPPED or COMPLETED lives in translate_jobs.workflow.steps.finalize_job.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from translate_jobs.core.config import settings
from translate_jobs.core.observability import logger, observed
from translate_jobs.workflow import steps

settings()  # fail at cold start if the template left something out


def _job_keys(event: dict[str, Any]) -> None:
    logger.thread_safe_append_keys(job_id=event.get("JobId"), account_id=event.get("AccountId"))


@observed()
def begin_job(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _job_keys(event)
    polls = event.get("Begin", {}).get("Polls", 0)  # this execution's polls so far (its state)
    return steps.begin_job(event["AccountId"], event["JobId"], polls=polls, generation=event.get("Generation", 0))


@observed()
def plan_batches(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _job_keys(event)
    continuation = (event.get("Plan") or {}).get("Continuation")  # the previous invocation's, when it ran out of time
    return steps.plan_batches(
        event["AccountId"], event["JobId"], continuation, lambda: context.get_remaining_time_in_millis() / 1000
    )


@observed()
def translate_batch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _job_keys(event)
    logger.thread_safe_append_keys(batch=event["Batch"])
    return steps.translate_batch(event["AccountId"], event["JobId"], event["Batch"], event["Keys"])


@observed()
def finalize_job(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _job_keys(event)
    return steps.finalize_job(event["AccountId"], event["JobId"], failure=steps.caught_failure(event.get("Error")))
