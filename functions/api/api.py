"""The API function: Translate's AWS JSON 1.1 protocol at POST /, and REST routes for curl.

API Gateway has already matched the route (template.yaml's HttpApi events) and names it in the
event's ``routeKey``, so the handler dispatches on it; nothing about a request is kept outside the
call (the local front runs many requests at once in one process).
The operations live in translate_jobs.api.operations (one signature, ``run(deps, caller, request)``).

This module is the function's composition root: when its execution environment starts it reads the
function's settings and builds the store and the clients (``DEPENDENCIES``), which every request is
given; a test injects its own with ``handler(event, context, dependencies=...)``.
"""

import base64
import binascii
import hashlib
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from translate_jobs.api import wire
from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.api.wire import Response
from translate_jobs.core.config import Settings
from translate_jobs.core.observability import observed
from translate_jobs.domain import errors
from translate_jobs.domain.caller import Caller

# Once per execution environment; fails at cold start, not on the first request, if the template left something out.
DEPENDENCIES = ApiDependencies.from_settings(Settings.from_environ(os.environ))


@dataclass(frozen=True)
class HttpRequest:
    """What this function reads of an HTTP API event (payload format 2.0).

    Powertools' APIGatewayProxyEventV2 reads the same fields, but importing it imports all ~40 of
    Powertools' event classes: ~30 ms of CPU in every cold start (`make bench`), for eleven fields.
    """

    route_key: str
    method: str
    raw_path: str
    request_id: str
    headers: Mapping[str, str]  # names lower-cased, as API Gateway sends them
    query: Mapping[str, str]
    path_parameters: Mapping[str, str]
    body: str
    is_base64_encoded: bool
    authorizer_account_id: str | None  # the IAM authorizer's caller
    authorizer_user_arn: str | None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> "HttpRequest":
        context = event.get("requestContext") or {}
        iam = (context.get("authorizer") or {}).get("iam") or {}
        return cls(
            route_key=event.get("routeKey") or "",
            method=(context.get("http") or {}).get("method") or "",
            raw_path=event.get("rawPath") or "",
            request_id=context.get("requestId") or "",
            headers={name.lower(): value for name, value in (event.get("headers") or {}).items()},
            query=event.get("queryStringParameters") or {},
            path_parameters=event.get("pathParameters") or {},
            body=event.get("body") or "",
            is_base64_encoded=bool(event.get("isBase64Encoded")),
            authorizer_account_id=iam.get("accountId") or None,
            authorizer_user_arn=iam.get("userArn") or None,
        )


def caller(deps: ApiDependencies, event: HttpRequest) -> Caller:
    """Who asks: the IAM authorizer's account and principal (Start checks it may pass the role; Stop records
    it), or the configured account where no authorizer runs."""
    account_id = event.authorizer_account_id or deps.settings.default_account_id
    if not account_id:
        raise errors.AccessDeniedError("The request carries no AWS identity.")
    return Caller.of_api(account_id, event.authorizer_user_arn)


def body(event: HttpRequest, operation: str | None = None) -> dict[str, Any]:
    # Decode base64 ourselves: a body that is not UTF-8 is the caller's error, not a 500.
    raw = event.body
    if event.is_base64_encoded:
        try:
            return wire.decode_body(base64.b64decode(raw, validate=True), operation)
        except binascii.Error:
            raise errors.SerializationError("The request body is not valid base64.") from None
    return wire.decode_body(raw.encode("utf-8", "surrogatepass"), operation)


def aws_json(deps: ApiDependencies, event: HttpRequest) -> Response:
    operation = wire.operation_from_target(event.headers.get("x-amz-target"))
    return wire.invoke(deps, operation, caller(deps, event), body(event, operation))


def start_job(deps: ApiDependencies, event: HttpRequest) -> Response:
    """Start. Without a ClientToken the token derives from the request's SigV4 signature: a replay of the
    same signed request (AWS accepts one for 5 minutes, a presigned URL until it expires) finds the job its
    first copy started, where a random token would start a job per copy. The AWS SDKs send a token of their
    own; a curl user may too. An unsigned request without one is refused, as the model requires it."""
    request = body(event)
    if "ClientToken" not in request and (signature := sigv4_signature(event)):
        request["ClientToken"] = signed_request_token(signature)
    return wire.invoke(deps, "StartTextTranslationJob", caller(deps, event), request)


_SIGNATURE = re.compile(r"\bSignature=([0-9a-f]{64})\b")


def sigv4_signature(event: HttpRequest) -> str | None:
    """The request's SigV4 signature (Authorization header, or a presigned URL's X-Amz-Signature), which
    API Gateway's IAM authorizer has verified; None for an unsigned request."""
    found = _SIGNATURE.search(event.headers.get("authorization", "")) or _SIGNATURE.search(
        "Signature=" + event.query.get("X-Amz-Signature", "")
    )
    return found.group(1) if found else None


def signed_request_token(signature: str) -> str:
    """A ClientToken for a signed request: its signature hashed (never stored as is: while AWS accepts it, a
    signature is a credential), under a prefix no SDK's uuid4 has; the model's 64 characters [a-zA-Z0-9-]."""
    return "sigv4-" + hashlib.sha256(signature.encode()).hexdigest()[:58]


def list_jobs(deps: ApiDependencies, event: HttpRequest) -> Response:
    """List, with the Filter's members, MaxResults and NextToken as query parameters."""
    params = dict(event.query)
    request: dict[str, Any] = {}
    job_filter: dict[str, Any] = {key: params.pop(key) for key in ("JobName", "JobStatus") if key in params}
    for key in ("SubmittedBeforeTime", "SubmittedAfterTime"):
        if key in params:
            job_filter[key] = _typed(params.pop(key), float)
    if job_filter:
        request["Filter"] = job_filter
    if "MaxResults" in params:
        request["MaxResults"] = _typed(params.pop("MaxResults"), int)
    request.update(params)  # NextToken; anything else is reported as an unknown member
    return wire.invoke(deps, "ListTextTranslationJobs", caller(deps, event), request)


def _typed(value: str, kind: type[int] | type[float]) -> Any:
    """A query string as the request's type (timestamps in epoch seconds), or the string itself,
    which validation then rejects as AWS words it ('Member must be an integer')."""
    try:
        typed = kind(value)
    except ValueError:  # also ints over Python's 4300-digit limit
        return value
    return typed if math.isfinite(typed) else value


def describe_job(deps: ApiDependencies, event: HttpRequest) -> Response:
    job_id = event.path_parameters.get("JobId")
    return wire.invoke(deps, "DescribeTextTranslationJob", caller(deps, event), {"JobId": job_id})


def stop_job(deps: ApiDependencies, event: HttpRequest) -> Response:
    job_id = event.path_parameters.get("JobId")
    request = {**body(event), "JobId": job_id}
    return wire.invoke(deps, "StopTextTranslationJob", caller(deps, event), request)


def no_route(deps: ApiDependencies, event: HttpRequest) -> Response:
    """The $default route: anything the other routes do not match, answered as an AWS 404."""
    return wire.error_response(errors.NoRouteError(f"No route for {errors.shown(event.method)} {errors.shown(event.raw_path)}."))


ROUTES: dict[str, Callable[[ApiDependencies, HttpRequest], Response]] = {
    "POST /": aws_json,
    "POST /jobs": start_job,
    "GET /jobs": list_jobs,
    "GET /jobs/{JobId}": describe_job,
    "POST /jobs/{JobId}/stop": stop_job,
}


@observed(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict[str, Any], context: LambdaContext, dependencies: ApiDependencies | None = None) -> dict[str, Any]:
    request = HttpRequest.from_event(event)
    try:
        response = ROUTES.get(request.route_key, no_route)(dependencies or DEPENDENCIES, request)
    except Exception as error:  # noqa: BLE001 - domain errors become their wire errors; anything else is logged, a 500
        response = wire.error_response(error)
    return {
        "statusCode": response.status_code,
        "headers": {**response.headers, "x-amzn-RequestId": request.request_id},
        "body": response.body,
        "isBase64Encoded": False,
    }
