"""The worker Lambdas of the job workflow (one handler per Task of statemachine/translation_job.asl.json).

Finalizing to STOPPED or COMPLETED lives in translate_jobs.workflow.steps.finalize_job.

This module is each worker function's composition root: when its execution environment starts it reads
the function's settings and builds the store and the clients (``DEPENDENCIES``), which every invocation
is given; a test injects its own with ``handler(event, context, dependencies=...)``.
"""

import os
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from translate_jobs.core.config import Settings
from translate_jobs.core.observability import logger, observed
from translate_jobs.workflow import parallel_data as parallel_data_steps
from translate_jobs.workflow import steps, translation
from translate_jobs.workflow.dependencies import WorkflowDependencies

# Once per execution environment; fails at cold start if the template left something out.
DEPENDENCIES = WorkflowDependencies.from_settings(Settings.from_environ(os.environ))


def _job_keys(event: dict[str, Any]) -> None:
    logger.thread_safe_append_keys(job_id=event.get("JobId"), account_id=event.get("AccountId"))


@observed()
def begin_job(
    event: dict[str, Any], context: LambdaContext, dependencies: WorkflowDependencies | None = None
) -> dict[str, Any]:
    _job_keys(event)
    polls = event.get("Begin", {}).get("Polls", 0)  # this execution's polls so far (its state)
    return steps.begin_job(
        dependencies or DEPENDENCIES, event["AccountId"], event["JobId"], polls=polls, generation=event.get("Generation", 0)
    )


@observed()
def plan_batches(
    event: dict[str, Any], context: LambdaContext, dependencies: WorkflowDependencies | None = None
) -> dict[str, Any]:
    _job_keys(event)
    continuation = (event.get("Plan") or {}).get("Continuation")  # the previous invocation's, when it ran out of time
    return steps.plan_batches(
        dependencies or DEPENDENCIES, event["AccountId"], event["JobId"], continuation,
        lambda: context.get_remaining_time_in_millis() / 1000,
    )


@observed()
def translate_batch(
    event: dict[str, Any], context: LambdaContext, dependencies: WorkflowDependencies | None = None
) -> dict[str, Any]:
    _job_keys(event)
    logger.thread_safe_append_keys(batch=event["Batch"])
    return steps.translate_batch(dependencies or DEPENDENCIES, event["AccountId"], event["JobId"], event["Batch"], event["Keys"])


@observed()
def finalize_job(
    event: dict[str, Any], context: LambdaContext, dependencies: WorkflowDependencies | None = None
) -> dict[str, Any]:
    _job_keys(event)
    failure = steps.caught_failure(event.get("Error"))
    return steps.finalize_job(dependencies or DEPENDENCIES, event["AccountId"], event["JobId"], failure=failure)


@observed()
def parallel_data(
    event: dict[str, Any], context: LambdaContext, dependencies: WorkflowDependencies | None = None
) -> dict[str, Any]:
    """statemachine/parallel_data.asl.json's Task: a parallel data import, or a deletion."""
    deps = dependencies or DEPENDENCIES
    logger.thread_safe_append_keys(account_id=event.get("AccountId"), parallel_data=event.get("Name"))
    assert deps.customizations is not None and deps.customization_files is not None, "CUSTOMIZATIONS_* must be set"
    return parallel_data_steps.run(
        deps.customizations, deps.customization_files, deps.work_s3, event["AccountId"], event["Name"], event["Version"],
        event["Action"], error=event.get("Error"), max_bytes=deps.settings.quotas.max_parallel_data_bytes,
    )


@observed()
def translate_request(
    event: dict[str, Any], context: LambdaContext, dependencies: WorkflowDependencies | None = None
) -> dict[str, Any]:
    """TranslateFunction: a TranslateText or TranslateDocument request the API function checked (workflow/translation.py).
    A refusal is answered (the API function raises it again); any other failure is raised, as Lambda reports it."""
    deps = dependencies or DEPENDENCIES
    logger.thread_safe_append_keys(account_id=event.get("AccountId"), operation=event.get("Operation"))
    run = {"TranslateText": translation.translate_text, "TranslateDocument": translation.translate_document}[event["Operation"]]
    try:
        return run(deps, event["AccountId"], event["Request"])
    except Exception as error:
        refused = translation.refusal(error)
        if refused is None:
            raise
        logger.info("Request refused", extra={"error": refused["Error"]["Type"]})
        return refused
