"""Unit tests (no AWS): how each domain error looks on the wire."""

import json

import pytest

from translate_jobs.api import wire
from translate_jobs.core.observability import metrics
from translate_jobs.domain import errors

CASES = [
    (errors.ValidationError(["Value null at 'jobId' failed to satisfy constraint: Member must not be null"]),
     400, "ValidationException"),
    (errors.SerializationError("The request body is not valid JSON."), 400, "SerializationException"),
    (errors.UnknownOperationError("Missing or unknown X-Amz-Target: None."), 400, "UnknownOperationException"),
    (errors.RequestTooLargeError("The request body exceeds 65536 bytes."), 413, "RequestEntityTooLargeException"),
    (errors.AccessDeniedError("The request carries no AWS identity."), 403, "AccessDeniedException"),
    (errors.JobNotFoundError("0123456789abcdef0123456789abcdef"), 400, "ResourceNotFoundException"),
    (errors.UnsupportedLanguagePairError("Unsupported language pair: en to en."), 400, "UnsupportedLanguagePairException"),
    (errors.InvalidRequestError("ClientToken reused."), 400, "InvalidRequestException"),
    (errors.ThrottledError("The job table is throttling requests; retry with backoff."), 400, "TooManyRequestsException"),
]


@pytest.fixture(autouse=True)
def _no_metric_leftovers():
    yield
    metrics().clear_metrics()  # outside a handler, the test thread's own throwaway set


@pytest.mark.parametrize(("error", "status", "code"), CASES, ids=[code for _, _, code in CASES])
def test_a_domain_error_becomes_its_aws_error(error, status, code):
    # Given a domain error raised by an operation
    # When the wire encodes it
    response = wire.error_response(error)
    # Then the caller sees AWS's status, __type, message and x-amzn-ErrorType
    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == code
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(response.body) == {"__type": code, "message": str(error)}


def test_every_domain_error_class_has_a_wire_code():
    # JobStateConflictError and DocumentError are internal to the workflow (a conditional write's verdict, one
    # document's reason in the details file): they never reach a caller as such.
    raised_to_callers = {
        cls for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.TranslateJobsError)
        and cls not in (errors.TranslateJobsError, errors.JobStateConflictError, errors.DocumentError)
    }
    assert raised_to_callers == set(wire.WIRE_ERRORS)


def test_the_not_found_message_names_the_job():
    body = json.loads(wire.error_response(errors.JobNotFoundError("abc")).body)
    assert body["message"] == "Job abc was not found."


@pytest.mark.parametrize(
    "error",
    [RuntimeError("secret detail: arn:aws:dynamodb:us-east-1:123456789012:table/x"), KeyError("secret detail"),
     errors.JobStateConflictError("abc", "secret detail")],
    ids=["RuntimeError", "KeyError", "JobStateConflictError"],
)
def test_an_unexpected_exception_is_a_500_without_internals(error):
    # Given an exception the wire does not know
    # When it is encoded
    response = wire.error_response(error)
    # Then the caller gets a generic InternalServerException, with nothing of the exception in it
    assert response.status_code == 500
    assert response.headers["x-amzn-ErrorType"] == "InternalServerException"
    body = json.loads(response.body)
    assert body == {"__type": "InternalServerException", "message": "An internal error occurred. Retry your request."}
    assert "secret detail" not in response.body
