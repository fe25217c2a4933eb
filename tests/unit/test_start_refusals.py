"""Start's refusals, through the wire layer with the jobs in memory (tests/support/fakes.py): each is an
AWS-shaped 4xx that writes nothing, and no message grows with what the caller sent (values are quoted
cut at 100 characters)."""

import itertools
import json
import string
from typing import Any

from tests.support import ACCOUNT, OTHER_ACCOUNT, start_request
from tests.support.fakes import InMemoryJobs, in_memory_api
from translate_jobs.api import wire
from translate_jobs.core.config import Settings
from translate_jobs.domain.caller import Caller

START = "StartTextTranslationJob"
LONGEST_MESSAGE = 600  # the longest refusal below with every value cut; unbounded, they were 2 KB to 60 KB


def start(store: InMemoryJobs, **overrides: Any) -> tuple[int, dict[str, Any]]:
    deps = in_memory_api(Settings.from_environ({"JOBS_TABLE_NAME": "jobs", "AWS_REGION": "us-east-1"}), store)
    try:
        response = wire.invoke(deps, START, Caller.of_api(ACCOUNT), start_request(**overrides))
    except Exception as error:  # noqa: BLE001 - as the API handler does: every error becomes its wire error
        response = wire.error_response(error)
    return response.status_code, json.loads(response.body)


def test_a_start_naming_ten_thousand_target_languages_is_answered_in_a_short_message() -> None:
    codes = ["".join(letters) for letters in itertools.islice(itertools.product(string.ascii_lowercase, repeat=3), 10_000)]
    store = InMemoryJobs()
    status, body = start(store, TargetLanguageCodes=codes)
    assert (status, body["__type"]) == (400, "ValidationException")
    assert body["message"].startswith("1 validation error detected: Value '[aaa, aab, aac, ")
    assert body["message"].endswith("...' at 'targetLanguageCodes' failed to satisfy constraint: "
                                    "Member must have length less than or equal to 10")
    assert len(body["message"]) < LONGEST_MESSAGE
    assert store.jobs == {}


def test_long_values_are_quoted_cut_in_start_refusals() -> None:
    store = InMemoryJobs()
    content_type = "text/" + "x" * 250  # the model allows 256 characters
    status, body = start(store, InputDataConfig={"S3Uri": "s3://input-docs/docs/", "ContentType": content_type})
    assert (status, body["__type"]) == (400, "InvalidRequestException")
    assert body["message"].startswith(f"The ContentType {content_type[:100]}... is not supported.")
    assert len(body["message"]) < LONGEST_MESSAGE
    role = f"arn:aws:iam::{OTHER_ACCOUNT}:role/" + "r" * 2000  # the model allows 2048
    status, body = start(store, DataAccessRoleArn=role)
    assert (status, body["__type"]) == (400, "InvalidRequestException")
    assert body["message"] == (f"The DataAccessRoleArn {role[:100]}... belongs to account {OTHER_ACCOUNT}. "
                               f"Use a role of your own account ({ACCOUNT}).")
    assert store.jobs == {}


def test_an_unknown_operation_of_any_length_is_named_cut() -> None:
    for operation in ("X" * 10_000, "StartTextTranslationJob" + "X" * 10_000):
        try:
            wire.operation_from_target(wire.TARGET_PREFIX + operation)
        except Exception as error:  # noqa: BLE001 - the refusal is what is looked at
            response = wire.error_response(error)
        body = json.loads(response.body)
        assert (response.status_code, body["__type"]) == (400, "UnknownOperationException")
        assert body["message"] == f"Operation {operation[:100]}... is not supported by this service."


def test_a_target_language_named_twice_is_refused() -> None:
    store = InMemoryJobs()
    status, body = start(store, TargetLanguageCodes=["fr", "de", "fr", "es", "de"])
    assert (status, body) == (400, {
        "__type": "InvalidRequestException",
        "message": "TargetLanguageCodes names fr, de more than once. Name each target language once.",
    })
    assert store.jobs == {}
    assert start(store, TargetLanguageCodes=["fr", "de"])[0] == 200
