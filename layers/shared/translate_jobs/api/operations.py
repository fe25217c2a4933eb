"""The Translate batch operations, independent of HTTP.

Every operation has one signature, ``run(deps, caller, request)``: the API function's dependencies
(api/dependencies.py), who asks (domain/caller.py: the account and principal the IAM authorizer
established) and the typed, validated request (api/requests.py); it returns the response dict AWS
would return. ``OPERATIONS`` lists them: adding an operation is its request type, its function and
one entry there. ``stop`` is Stop for internal callers (stop requests from queues and events), without
a wire request.
"""

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from translate_jobs.api import customizations, translation
from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.api.requests import (
    CreateParallelData,
    DescribeTextTranslationJob,
    GetTerminology,
    ImportTerminology,
    ListLanguages,
    ListPage,
    ListTagsForResource,
    ListTextTranslationJobs,
    ResourceByName,
    StartTextTranslationJob,
    StopTextTranslationJob,
    TagResource,
    TranslateDocument,
    TranslateText,
    UntagResource,
    UpdateParallelData,
    WireRequest,
    wire_members,
)
from translate_jobs.api.tokens import decode_token, encode_token
from translate_jobs.api.validation import failed_constraint
from translate_jobs.dal.interfaces import JobStops
from translate_jobs.dal.queries import DEFAULT_MAX_RESULTS, plan_query
from translate_jobs.domain import content_types
from translate_jobs.domain.caller import Caller
from translate_jobs.domain.errors import InvalidRequestError, UnsupportedLanguagePairError, ValidationError, shown
from translate_jobs.domain.job import Job
from translate_jobs.domain.languages import check_language_pair
from translate_jobs.domain.lifecycle import TERMINAL, JobStatus
from translate_jobs.integrations.engines import check_language_pairs


def stop(store: JobStops, caller: Caller, job_id: str) -> JobStatus:
    """Stop a job of the caller's account (SUBMITTED/IN_PROGRESS -> STOP_REQUESTED), recording who asked;
    any other status is returned unchanged. The one Stop rule for every channel: the API, queue messages
    and events."""
    return store.request_stop(caller.account_id, job_id, now=time.time(), requested_by=caller.as_stop_requester())


def stop_text_translation_job(deps: ApiDependencies, caller: Caller, request: StopTextTranslationJob) -> dict[str, Any]:
    status = stop(deps.store, caller, request.job_id)
    return {"JobId": request.job_id, "JobStatus": status.value}


def describe_text_translation_job(deps: ApiDependencies, caller: Caller, request: DescribeTextTranslationJob) -> dict[str, Any]:
    job = deps.store.get(caller.account_id, request.job_id)
    return {"TextTranslationJobProperties": job_properties(job)}


def list_text_translation_jobs(deps: ApiDependencies, caller: Caller, request: ListTextTranslationJobs) -> dict[str, Any]:
    """One page of the account's jobs (rules and order: dal/queries.py, tokens: api/tokens.py); one Query, never a Scan."""
    account_id = caller.account_id
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


def start_text_translation_job(deps: ApiDependencies, caller: Caller, request: StartTextTranslationJob) -> dict[str, Any]:
    """The caller (the IAM authorizer's principal) must be allowed to pass the DataAccessRoleArn."""
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
        constraint = f"Member must have length less than or equal to {most}"
        raise ValidationError([failed_constraint(list(targets), "targetLanguageCodes", constraint)])
    repeated = [code for code, count in Counter(targets).items() if count > 1]
    if repeated:  # each target is one output file per document: a repeat would translate and write it twice
        raise InvalidRequestError(
            f"TargetLanguageCodes names {shown(', '.join(repeated))} more than once. Name each target language once."
        )
    # Codes also name output files: only the languages the service supports, never a path like `..`.
    check_language_pair(source, list(targets))
    check_language_pairs(deps.engine, source, list(targets))  # and only pairs the engine translates
    content_type = request.input_data_config["ContentType"]
    if not content_types.is_supported(content_type):
        supported = ", ".join(content_types.SUPPORTED_CONTENT_TYPES)
        raise InvalidRequestError(f"The ContentType {shown(content_type)} is not supported. Supported types: {supported}.")
    customizations.check_customizations(deps, caller, request.terminology_names, request.parallel_data_names)
    check_role_may_be_passed(deps.iam, caller.account_id, caller.principal, request.data_access_role_arn)
    # The JobId derives from the ClientToken, so a retried Start is the same conditional put (in a
    # transaction with the account's queued count) that finds the job it created before: no
    # separate idempotency table, and nothing to expire.
    account_id, token = caller.account_id, request.client_token
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
    """TextTranslationJobProperties as AWS returns it: every member the model lists that the job has
    (timestamps in epoch seconds)."""
    return wire_members(job, "TextTranslationJobProperties")


Request = TypeVar("Request", bound=WireRequest)


@dataclass(frozen=True)
class Operation(Generic[Request]):
    """One operation of the API: the typed request it takes, and the function that runs it (mypy checks
    that the two agree in every entry of OPERATIONS)."""

    request: type[Request]
    run: Callable[[ApiDependencies, Caller, Request], dict[str, Any]]


OPERATIONS: dict[str, Operation[Any]] = {
    "StartTextTranslationJob": Operation(StartTextTranslationJob, start_text_translation_job),
    "DescribeTextTranslationJob": Operation(DescribeTextTranslationJob, describe_text_translation_job),
    "StopTextTranslationJob": Operation(StopTextTranslationJob, stop_text_translation_job),
    "ListTextTranslationJobs": Operation(ListTextTranslationJobs, list_text_translation_jobs),
    "ImportTerminology": Operation(ImportTerminology, customizations.import_terminology),
    "GetTerminology": Operation(GetTerminology, customizations.get_terminology),
    "ListTerminologies": Operation(ListPage, customizations.list_terminologies),
    "DeleteTerminology": Operation(ResourceByName, customizations.delete_terminology),
    "CreateParallelData": Operation(CreateParallelData, customizations.create_parallel_data),
    "GetParallelData": Operation(ResourceByName, customizations.get_parallel_data),
    "ListParallelData": Operation(ListPage, customizations.list_parallel_data),
    "UpdateParallelData": Operation(UpdateParallelData, customizations.update_parallel_data),
    "DeleteParallelData": Operation(ResourceByName, customizations.delete_parallel_data),
    "TagResource": Operation(TagResource, customizations.tag_resource),
    "UntagResource": Operation(UntagResource, customizations.untag_resource),
    "ListTagsForResource": Operation(ListTagsForResource, customizations.list_tags_for_resource),
    "TranslateText": Operation(TranslateText, translation.translate_text),
    "TranslateDocument": Operation(TranslateDocument, translation.translate_document),
    "ListLanguages": Operation(ListLanguages, translation.list_languages),
}
