"""The Translate batch operations, independent of HTTP: each takes the caller's account and a
validated request dict, and returns the response dict AWS would return."""

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from translate_jobs.api.tokens import decode_token, encode_token
from translate_jobs.core.config import settings
from translate_jobs.dal.queries import DEFAULT_MAX_RESULTS, plan_query
from translate_jobs.dal.store import JobRecord, job_store
from translate_jobs.domain.errors import InvalidRequestError, UnsupportedLanguagePairError, ValidationError
from translate_jobs.domain.languages import check_language_pair
from translate_jobs.domain.lifecycle import TERMINAL, JobStatus, StopRequester
from translate_jobs.integrations import documents
from translate_jobs.integrations.s3_as_role import check_role_may_be_passed
from translate_jobs.workflow.launcher import workflow_launcher


def stop_text_translation_job(
    account_id: str, request: dict[str, Any], requested_by: StopRequester | None = None
) -> dict[str, Any]:
    job_id = request["JobId"]
    status = job_store().request_stop(account_id, job_id, now=time.time(), requested_by=requested_by)
    return {"JobId": job_id, "JobStatus": status.value}


def describe_text_translation_job(account_id: str, request: dict[str, Any]) -> dict[str, Any]:
    record = job_store().get(account_id, request["JobId"])
    return {"TextTranslationJobProperties": job_properties(record)}


def list_text_translation_jobs(account_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """One page of the account's jobs (rules and order: dal/queries.py, tokens: api/tokens.py); one Query, never a Scan."""
    job_filter = request.get("Filter")
    query = plan_query(account_id, job_filter)  # InvalidFilterError before anything is read
    secret = settings().pagination_secret()
    token = request.get("NextToken")
    now = time.time()
    start_key = decode_token(secret, account_id, job_filter, token, now=now) if token else None
    records, next_key = job_store().list_jobs(account_id, query, request.get("MaxResults") or DEFAULT_MAX_RESULTS, start_key)
    response: dict[str, Any] = {"TextTranslationJobPropertiesList": [job_properties(record) for record in records]}
    if next_key is not None:
        response["NextToken"] = encode_token(secret, account_id, job_filter, next_key, now=now)
    return response


def start_text_translation_job(account_id: str, request: dict[str, Any], caller_arn: str | None = None) -> dict[str, Any]:
    """``caller_arn``: the IAM authorizer's principal, who must be allowed to pass DataAccessRoleArn."""
    source = request["SourceLanguageCode"]
    if source in request["TargetLanguageCodes"]:
        raise UnsupportedLanguagePairError(
            f"Unsupported language pair: {source} to {source}. The source language cannot also be a target language."
        )
    targets, most = request["TargetLanguageCodes"], settings().quotas.max_target_languages
    if len(targets) > most:
        raise ValidationError(
            [f"Value '[{', '.join(targets)}]' at 'targetLanguageCodes' failed to satisfy constraint: "
             f"Member must have length less than or equal to {most}"]
        )
    # Codes also name output files: only the languages the service supports, never a path like `..`.
    check_language_pair(source, targets)
    content_type = request["InputDataConfig"]["ContentType"]
    if not documents.is_supported(content_type):
        raise InvalidRequestError(
            f"The ContentType {content_type} is not supported. Supported types: {', '.join(documents.SUPPORTED_CONTENT_TYPES)}."
        )
    check_role_may_be_passed(account_id, caller_arn, request["DataAccessRoleArn"], settings().region)
    # The JobId derives from the ClientToken, so a retried Start is the same conditional put (in a
    # transaction with the account's queued count) that finds the job it created before: no
    # separate idempotency table, and nothing to expire.
    token = request["ClientToken"]
    job_id = hashlib.md5(f"{account_id}:{token}".encode(), usedforsecurity=False).hexdigest()
    fingerprint = _fingerprint(request)
    record, created = job_store().create(_new_job(account_id, job_id, fingerprint, request))
    if not created and record.request_fingerprint != fingerprint:
        raise InvalidRequestError(
            f"ClientToken {token} was already used to start job {job_id} with different parameters. "
            "Use a new ClientToken for a different job."
        )
    if record.status not in TERMINAL:
        # Also on a retry: a Start that failed after writing the item left a job with no execution.
        workflow_launcher()(account_id, job_id)
    return {"JobId": job_id, "JobStatus": record.job_status}


def _fingerprint(request: dict[str, Any]) -> str:
    significant = {key: value for key, value in request.items() if key != "ClientToken"}
    return hashlib.sha256(json.dumps(significant, sort_keys=True).encode()).hexdigest()


def _new_job(account_id: str, job_id: str, fingerprint: str, request: dict[str, Any]) -> JobRecord:
    output = dict(request["OutputDataConfig"])
    prefix = output["S3Uri"] if output["S3Uri"].endswith("/") else output["S3Uri"] + "/"
    output["S3Uri"] = f"{prefix}{account_id}-TranslateText-{job_id}/"
    return JobRecord(
        account_id,
        job_id,
        job_name=request.get("JobName"),
        job_status=JobStatus.SUBMITTED.value,
        submitted_time=round(time.time(), 3),
        source_language_code=request["SourceLanguageCode"],
        target_language_codes=request["TargetLanguageCodes"],
        terminology_names=request.get("TerminologyNames"),
        parallel_data_names=request.get("ParallelDataNames"),
        input_data_config=request["InputDataConfig"],
        output_data_config=output,
        data_access_role_arn=request["DataAccessRoleArn"],
        settings=request.get("Settings"),
        client_token=request["ClientToken"],
        request_fingerprint=fingerprint,
    )


def job_properties(record: JobRecord) -> dict[str, Any]:
    """TextTranslationJobProperties as AWS returns it (timestamps in epoch seconds)."""
    properties = {
        "JobId": record.job_id,
        "JobName": record.job_name,
        "JobStatus": record.job_status,
        "JobDetails": {
            "TranslatedDocumentsCount": int(record.translated_documents_count),
            "DocumentsWithErrorsCount": int(record.documents_with_errors_count),
            "InputDocumentsCount": int(record.input_documents_count),
        },
        "SourceLanguageCode": record.source_language_code,
        "TargetLanguageCodes": list(record.target_language_codes),
        "TerminologyNames": list(record.terminology_names or []),
        "ParallelDataNames": list(record.parallel_data_names or []),
        "Message": record.message,
        "SubmittedTime": record.submitted_time,
        "EndTime": record.end_time,
        "InputDataConfig": record.input_data_config.as_dict(),
        "OutputDataConfig": record.output_data_config.as_dict(),
        "DataAccessRoleArn": record.data_access_role_arn,
        "Settings": record.settings.as_dict() if record.settings else None,
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
