"""The AWS JSON 1.1 wire protocol, and the one place where domain errors become wire errors."""

import json
from dataclasses import dataclass, field
from typing import Any

from translate_jobs.api.dependencies import ApiDependencies
from translate_jobs.api.operations import OPERATIONS
from translate_jobs.api.validation import max_encoded_bytes, operation_model, validate_request
from translate_jobs.core.observability import logger, metrics
from translate_jobs.domain import errors
from translate_jobs.domain.caller import Caller

TARGET_PREFIX = "AWSShineFrontendService_20170701."
CONTENT_TYPE = "application/x-amz-json-1.1"
# The largest valid request without a blob (Start with every member at its maximum) is far below this.
MAX_BODY_BYTES = 64 * 1024
# A request with a blob (ImportTerminology's file, TranslateDocument's document) carries it base64-encoded, and
# the function receives the body inside its event: Lambda takes at most 6 MB (6,291,456 bytes) of request
# payload, so a body over this never reaches it on AWS (a terminology file of ~4.5 MB at most, not the model's
# 10 MB). The local front refuses the same, so nothing works locally that would fail deployed.
MAX_EVENT_BODY_BYTES = 6 * 1024 * 1024 - 64 * 1024


@dataclass(frozen=True)
class Response:
    """An HTTP response of the API. (Powertools' event_handler has one too, but importing it costs
    ~90 ms of CPU in every cold start: asyncio, OpenAPI and resolvers this function does not use.)"""

    status_code: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers.setdefault("Content-Type", CONTENT_TYPE)

# Domain error -> (AWS error code, HTTP status). Anything not listed is an InternalServerException.
WIRE_ERRORS: dict[type[Exception], tuple[str, int]] = {
    errors.ValidationError: ("ValidationException", 400),
    errors.SerializationError: ("SerializationException", 400),
    errors.UnknownOperationError: ("UnknownOperationException", 400),
    errors.NoRouteError: ("NotFoundException", 404),  # API Gateway's name for it
    errors.RequestTooLargeError: ("RequestEntityTooLargeException", 413),
    errors.AccessDeniedError: ("AccessDeniedException", 403),
    errors.JobNotFoundError: ("ResourceNotFoundException", 400),
    errors.UnsupportedLanguagePairError: ("UnsupportedLanguagePairException", 400),
    errors.InvalidRequestError: ("InvalidRequestException", 400),
    errors.InvalidFilterError: ("InvalidFilterException", 400),
    errors.LimitExceededError: ("LimitExceededException", 400),
    errors.ThrottledError: ("TooManyRequestsException", 400),
    errors.TransientError: ("InternalServerException", 500),  # "Retry your request", as AWS words it
    errors.InvalidParameterValueError: ("InvalidParameterValueException", 400),
    errors.ResourceNotFoundError: ("ResourceNotFoundException", 400),
    errors.ConflictError: ("ConflictException", 400),
    errors.ConcurrentModificationError: ("ConcurrentModificationException", 400),
    errors.TooManyTagsError: ("TooManyTagsException", 400),
    errors.TextSizeLimitExceededError: ("TextSizeLimitExceededException", 400),
    errors.UnsupportedDisplayLanguageCodeError: ("UnsupportedDisplayLanguageCodeException", 400),
    errors.ServiceUnavailableError: ("ServiceUnavailableException", 503),
}


def operation_from_target(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        quoted = repr(target if target is None else errors.shown(target))
        raise errors.UnknownOperationError(f"Missing or unknown X-Amz-Target: {quoted}.")
    operation = target.removeprefix(TARGET_PREFIX)
    operation_model(operation)  # raises UnknownOperationError for names the model lacks
    if operation not in OPERATIONS:
        raise errors.UnknownOperationError(f"Operation {operation} is not implemented by this service.")
    return operation


def max_body_bytes(operation: str | None) -> int:
    """The largest body a valid request of ``operation`` can have here (see MAX_EVENT_BODY_BYTES)."""
    blobs = max_encoded_bytes(operation) if operation else 0
    return min(MAX_BODY_BYTES + blobs, MAX_EVENT_BODY_BYTES) if blobs else MAX_BODY_BYTES


def decode_body(body: str | bytes | None, operation: str | None = None) -> dict[str, Any]:
    """The JSON object of a request; an empty body is an empty request, as AWS accepts it."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    most = max_body_bytes(operation)
    if len(raw) > most:
        why = " (a Lambda function's request payload is at most 6 MB)" if most == MAX_EVENT_BODY_BYTES else ""
        raise errors.RequestTooLargeError(f"The request body exceeds {most} bytes{why}.")
    if not raw.strip():
        return {}
    try:
        request = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        raise errors.SerializationError("The request body is not valid JSON: it is nested too deeply.") from None
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: JSONDecodeError, NaN, ints over 4300 digits
        raise errors.SerializationError(f"The request body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(request, dict):
        raise errors.SerializationError("The request body must be a JSON object.")
    return request


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def require_unicode(request: dict[str, Any]) -> None:
    """Refuse strings that are not Unicode text (lone surrogates, from \\ud800 escapes, path or query):
    no pattern of the model can be trusted with them, and DynamoDB would refuse them later."""
    try:
        json.dumps(request, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise errors.SerializationError("The request holds a string that is not valid Unicode (a lone surrogate).") from None
    except RecursionError:
        raise errors.SerializationError("The request body is not valid JSON: it is nested too deeply.") from None


def invoke(deps: ApiDependencies, operation: str, caller: Caller, request: dict[str, Any]) -> Response:
    """Validate, build the typed request, run the operation and encode its result; errors propagate to
    error_response()."""
    metrics().add_dimension(name="Operation", value=operation)
    require_unicode(request)
    if isinstance(request.get("JobId"), str):
        logger.thread_safe_append_keys(job_id=request["JobId"][:100])
    validate_request(operation, request)
    entry = OPERATIONS[operation]
    result = entry.run(deps, caller, entry.request.from_request(request))  # the operations never see the dict
    if "JobId" in result:
        logger.thread_safe_append_keys(job_id=result["JobId"])
    metrics().add_metric(name="Success", unit="Count", value=1)
    logger.info("Operation succeeded", extra={"operation": operation, "job_status": result.get("JobStatus")})
    return Response(status_code=200, body=json.dumps(result))


def error_response(error: Exception) -> Response:
    code, status = WIRE_ERRORS.get(type(error), ("InternalServerException", 500))
    if status >= 500 and not isinstance(error, errors.ServiceUnavailableError):  # that one's text is written for users
        logger.exception("Unexpected error")
        message = "An internal error occurred. Retry your request."
    else:
        logger.info("Request rejected", extra={"error_code": code, "error_message": str(error)})
        message = str(error)
    metrics().add_metric(name=code, unit="Count", value=1)
    return Response(status_code=status, body=json.dumps({"__type": code, "message": message}), headers={"x-amzn-ErrorType": code})
