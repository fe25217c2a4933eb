"""The Translate batch operations, independent of HTTP: each takes the caller's account and a typed,
validated request (api/requests.py), with the API function's dependencies (api/dependencies.py), and returns
the response dict AWS would return. ``stop`` is Stop for internal callers (stop requests from queues and
events), without a wire request."""

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.api.requests import (
    DescribeTextTranslationJob,
    ListTextTranslationJobs,
    StartTextTranslationJob,
    StopTextTranslationJob,
)
from translate_jobs.api.tokens import decode_token, encode_token
from translate_jobs.dal.queries import DEFAULT_MAX_RESULTS, plan_query
from translate_jobs.dal.store import JobStore
from translate_jobs.domain import content_types
from translate_jobs.domain.errors import InvalidRequestError, UnsupportedLanguagePairError, ValidationError
from translate_jobs.domain.job import Job
from translate_jobs.domain.languages import check_language_pair
from translate_jobs.domain.lifecycle import TERMINAL, JobStatus, StopRequester
from translate_jobs.integrations.engines import check_language_pairs


def stop(store: JobStore, account_id: str, job_id: str, requested_by: StopRequester) -> JobStatus:
    """Stop a job (SUBMITTED/IN_PROGRESS -> STOP_REQUESTED), recording who asked; any other status is
    returned unchanged. The one Stop rule for every caller: the API, queue messages and events."""
    return store.request_stop(account_id, job_id, now=time.time(), requested_by=requested_by)


def stop_text_translation_job(
    deps: ApiDependencies, account_id: str, request: StopTextTranslationJob, requested_by: StopRequester
) -> dict[str, Any]:
    status = stop(deps.store, account_id, request.job_id, requested_by)
    return {"JobId": request.job_id, "JobStatus": status.value}


def describe_text_translation_job(deps: ApiDependencies, account_id: str, request: DescribeTextTranslationJob) -> dict[str, Any]:
    job = deps.store.get(account_id, request.job_id)
    return {"TextTranslationJobProperties": job_properties(job)}


def list_text_translation_jobs(deps: ApiDependencies, account_id: str, request: ListTextTranslationJobs) -> dict[str, Any]:
    """One page of the account's jobs (rules and order: dal/queries.py, tokens: api/tokens.py); one Query, never a Scan."""
    job_filter = request.filter.members() if request.filter else None
    query = plan_query(account_id, job_filter)  # InvalidFilterError before anything is read
    secret = deps.settings.pagination_secret()
    now = time.time()
    start_key = decode_token(secret, account_id, job_filter, request.next_token, now=now) if request.next_token else None
    jobs, next_key = deps.store.list_jobs(account_id, query, request.max_results or DEFAULT_MAX_RESULTS, start_key)
    response: dict[str, Any] = {"TextTranslationJobPropertiesList": [job_properties(job) for job in jobs]}
    if next_key is not None:
        response["NextToken"] = encode_token(secret, account_id, job_filter, next_key, now=now)
    return response


def start_text_translation_job(
    deps: ApiDependencies, account_id: str, request: StartTextTranslationJob, caller_arn: str | None = None
) -> dict[str, Any]:
    """``caller_arn``: the IAM authorizer's principal, who must be allowed to pass DataAccessRoleArn."""
    # Imported here: it brings boto3 (~40 ms of CPU), which Stop, Describe and List never need; a cold
    # start that serves one of those does not pay for it.
    from translate_jobs.integrations.s3_as_role import check_role_may_be_passed

    source, targets = request.source_language_code, request.target_language_codes
    if source in targets:
        raise UnsupportedLanguagePairError(
            f"Unsupported language pair: {source} to {source}. The source language cannot also be a target language."
        )
    most = deps.settings.quotas.max_target_languages
    if len(targets) > most:
        raise ValidationError(
            [f"Value '[{', '.join(targets)}]' at 'targetLanguageCodes' failed to satisfy constraint: "
             f"Member must have length less than or equal to {most}"]
        )
    # Codes also name output files: only the languages the service supports, never a path like `..`.
    check_language_pair(source, list(targets))
    check_language_pairs(deps.engine, source, list(targets))  # and only pairs the engine translates
    content_type = request.input_data_config["ContentType"]
    if not content_types.is_supported(content_type):
        supported = ", ".join(content_types.SUPPORTED_CONTENT_TYPES)
        raise InvalidRequestError(f"The ContentType {content_type} is not supported. Supported types: {supported}.")
    check_role_may_be_passed(deps.iam, account_id, caller_arn, request.data_access_role_arn)
    # The JobId derives from the ClientToken, so a retried Start is the same conditional put (in a
    # transaction with the account's queued count) that finds the job it created before: no
    # separate idempotency table, and nothing to expire.
    token = request.client_token
    job_id = hashlib.md5(f"{account_id}:{token}".encode(), usedforsecurity=False).hexdigest()
    fingerprint = _fingerprint(request)
    job, created = deps.store.create(_new_job(account_id, job_id, fingerprint, request))
    if not created and job.request_fingerprint != fingerprint:
        raise InvalidRequestError(
            f"ClientToken {token} was already used to start job {job_id} with different parameters. "
            "Use a new ClientToken for a different job."
        )
    if job.status not in TERMINAL:
        # Also on a retry: a Start that failed after writing the item left a job with no execution.
        deps.launcher(account_id, job_id)
    return {"JobId": job_id, "JobStatus": job.job_status}


def _fingerprint(request: StartTextTranslationJob) -> str:
    return hashlib.sha256(json.dumps(request.parameters(), sort_keys=True).encode()).hexdigest()


def _new_job(account_id: str, job_id: str, fingerprint: str, request: StartTextTranslationJob) -> Job:
    output = dict(request.output_data_config)
    prefix = output["S3Uri"] if output["S3Uri"].endswith("/") else output["S3Uri"] + "/"
    output["S3Uri"] = f"{prefix}{account_id}-TranslateText-{job_id}/"
    return Job(
        account_id,
        job_id,
        status=JobStatus.SUBMITTED,
        submitted_time=round(time.time(), 3),
        source_language_code=request.source_language_code,
        target_language_codes=request.target_language_codes,
        input_data_config=request.input_data_config,
        output_data_config=output,
        data_access_role_arn=request.data_access_role_arn,
        job_name=request.job_name,
        terminology_names=request.terminology_names or (),
        parallel_data_names=request.parallel_data_names or (),
        settings=request.settings,
        client_token=request.client_token,
        request_fingerprint=fingerprint,
    )


def job_properties(job: Job) -> dict[str, Any]:
    """TextTranslationJobProperties as AWS returns it (timestamps in epoch seconds)."""
    properties = {
        "JobId": job.job_id,
        "JobName": job.job_name,
        "JobStatus": job.job_status,
        "JobDetails": job.details.as_wire(),
        "SourceLanguageCode": job.source_language_code,
        "TargetLanguageCodes": list(job.target_language_codes),
        "TerminologyNames": list(job.terminology_names),
        "ParallelDataNames": list(job.parallel_data_names),
        "Message": job.message,
        "SubmittedTime": job.submitted_time,
        "EndTime": job.end_time,
        "InputDataConfig": dict(job.input_data_config),
        "OutputDataConfig": dict(job.output_data_config),
        "DataAccessRoleArn": job.data_access_role_arn,
        "Settings": dict(job.settings) if job.settings else None,
    }
    return {key: value for key, value in properties.items() if value is not None}


# Operations that pass a role on the caller's behalf: they also get the caller's ARN.
PASSES_ROLE = {"StartTextTranslationJob"}
OPERATIONS: dict[str, Callable[..., dict[str, Any]]] = {
    "StartTextTranslationJob": start_text_translation_job,
    "DescribeTextTranslationJob": describe_text_translation_job,
    "StopTextTranslationJob": stop_text_translation_job,
    "ListTextTranslationJobs": list_text_translation_jobs,
}
