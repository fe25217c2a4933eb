"""The retry contract: which failures of AWS calls are transient, named in one place.

botocore already retries these a few times (standard mode). What is still failing after that
leaves a worker as one of two named errors, ``ThrottledError`` or ``TransientError``, and the
workflow (statemachine/translation_job.asl.json) retries exactly those names on every Task, with
backoff and jitter; tests/unit/test_retry_contract.py holds the two sides together. Anything else is
not retried: it is a bug or the user's mistake, and retrying would only delay the message.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from translate_jobs.domain.errors import ThrottledError, TransientError

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",  # DynamoDB, Step Functions, Translate, EventBridge
        "Throttling",  # STS, IAM (query protocol)
        "ThrottledException",
        "TooManyRequestsException",  # Lambda, Translate
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",  # DynamoDB
        "SlowDown",  # S3
    }
)
SERVER_ERROR_CODES = frozenset(
    {
        "InternalServerError",  # DynamoDB
        "InternalError",  # S3, SQS
        "InternalFailure",
        "InternalException",  # EventBridge
        "InternalServerException",  # Translate
        "ServiceUnavailable",  # S3 (503)
        "ServiceUnavailableException",  # Translate
        "TransactionInProgressException",  # DynamoDB: an earlier attempt of the same transaction
    }
)
NETWORK_ERRORS = (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)
# The exceptions the workflow's Retry names (by class name, as Step Functions matches errorType).
RETRIED = (ThrottledError, TransientError)


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_transient(error: BaseException) -> bool:
    if isinstance(error, NETWORK_ERRORS):
        return True
    code = error_code(error)
    if code in THROTTLING_CODES or code in SERVER_ERROR_CODES:
        return True
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) if isinstance(error, ClientError) else 0
    return int(status) >= 500


def as_retried(error: BaseException, doing: str) -> TransientError:
    """The named error the workflow retries, with a message a person can read: what we were doing,
    which service answered what."""
    code = error_code(error)
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message") or ""
        detail = f"{code}{': ' + message if message else ''}"
    else:
        detail = f"no answer ({type(error).__name__})"
    named = ThrottledError if code in THROTTLING_CODES else TransientError
    return named(f"AWS failed transiently while {doing} ({detail}).")


@contextmanager
def retried_if_transient(doing: str) -> Iterator[None]:
    """Raise transient failures of the AWS calls inside as the errors the workflow retries; let the rest through."""
    try:
        yield
    except Exception as error:
        if isinstance(error, RETRIED) or not is_transient(error):
            raise
        raise as_retried(error, doing) from error
