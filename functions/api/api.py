"""The API function: Translate's AWS JSON 1.1 protocol at POST /, and REST routes for curl.

Stop lives in translate_jobs.service.stop_text_translation_job (rules: translate_jobs.store.request_stop).
"""

import base64
import math
import uuid
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from translate_jobs import wire
from translate_jobs.config import settings
from translate_jobs.errors import AccessDeniedError, TranslateJobsError, UnknownOperationError
from translate_jobs.observability import logger, metrics, tracer

settings()  # fail at cold start, not on the first request, if the template left something out
app = APIGatewayHttpResolver()


def caller_account() -> str:
    """The caller's account: the IAM authorizer's, or the configured one where no authorizer runs."""
    authorizer = app.current_event.request_context.authorizer
    account_id = authorizer.iam.account_id if authorizer and authorizer.iam else None
    account_id = account_id or settings().default_account_id
    if not account_id:
        raise AccessDeniedError("The request carries no AWS identity.")
    return account_id


def caller_arn() -> str | None:
    """The caller's principal ARN, as the IAM authorizer gives it (Start checks it may pass the role)."""
    authorizer = app.current_event.request_context.authorizer
    return (authorizer.iam.user_arn or None) if authorizer and authorizer.iam else None


def body() -> dict[str, Any]:
    # Decode base64 ourselves: a body that is not UTF-8 is the caller's error, not a 500.
    event = app.current_event
    raw = event.body or ""
    return wire.decode_body(base64.b64decode(raw) if event.is_base64_encoded else raw.encode())


@app.post("/")
def aws_json() -> Response:
    operation = wire.operation_from_target(app.current_event.headers.get("x-amz-target"))
    return wire.invoke(operation, caller_account(), body(), caller_arn())


@app.post("/jobs")
def start_job() -> Response:
    request = body()
    request.setdefault("ClientToken", str(uuid.uuid4()))  # as the AWS SDKs do
    return wire.invoke("StartTextTranslationJob", caller_account(), request, caller_arn())


@app.get("/jobs")
def list_jobs() -> Response:
    """List, with the Filter's members, MaxResults and NextToken as query parameters."""
    params = dict(app.current_event.query_string_parameters or {})
    request: dict[str, Any] = {}
    job_filter = {key: params.pop(key) for key in ("JobName", "JobStatus") if key in params}
    for key in ("SubmittedBeforeTime", "SubmittedAfterTime"):
        if key in params:
            job_filter[key] = _typed(params.pop(key), float)
    if job_filter:
        request["Filter"] = job_filter
    if "MaxResults" in params:
        request["MaxResults"] = _typed(params.pop("MaxResults"), int)
    request.update(params)  # NextToken; anything else is reported as an unknown member
    return wire.invoke("ListTextTranslationJobs", caller_account(), request)


def _typed(value: str, kind: type[int] | type[float]) -> Any:
    """A query string as the request's type (timestamps in epoch seconds), or the string itself,
    which validation then rejects as AWS words it ('Member must be an integer')."""
    try:
        typed = kind(value)
    except ValueError:
        return value
    return typed if math.isfinite(typed) else value


@app.get("/jobs/<JobId>")
def describe_job(JobId: str) -> Response:  # noqa: N803 - the path parameter's wire name
    return wire.invoke("DescribeTextTranslationJob", caller_account(), {"JobId": JobId})


@app.post("/jobs/<JobId>/stop")
def stop_job(JobId: str) -> Response:  # noqa: N803
    return wire.invoke("StopTextTranslationJob", caller_account(), {**body(), "JobId": JobId}, caller_arn())


@app.exception_handler(TranslateJobsError)
def domain_error(error: TranslateJobsError) -> Response:
    return wire.error_response(error)


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response:
    return wire.error_response(error)


@app.not_found
def no_route(_: Exception) -> Response:
    path = app.current_event.raw_path
    return wire.error_response(UnknownOperationError(f"No route for {app.current_event.request_context.http.method} {path}."))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    response.setdefault("headers", {})["x-amzn-RequestId"] = app.current_event.request_context.request_id
    return response
