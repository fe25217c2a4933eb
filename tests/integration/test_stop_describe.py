"""Stop and Describe through the ApiFunction handler, over moto with template.yaml provisioned.

Each test counts the DynamoDB requests the store's botocore client really sends, so "one
conditional write per Stop" and "an invalid request never touches the table" are observed,
not assumed.
"""

import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.requests import DynamoRequests, dynamodb_requests
from tests.support.stack import ACCOUNT, OTHER_ACCOUNT, http_event, put_job, raw_item

STOP = "StopTextTranslationJob"
DESCRIBE = "DescribeTextTranslationJob"
JSON_11 = "application/x-amz-json-1.1"


def call(stack, event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = stack.runtime.invoke("ApiFunction", event)
    headers = response.get("headers") or {}
    assert headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]
    return response["statusCode"], json.loads(response["body"]), headers


def stop(stack, job_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return call(stack, http_event("POST", "/", {"JobId": job_id}, target=STOP))


def assert_one_conditional_update(requests: DynamoRequests) -> None:
    assert requests.operations == ["UpdateItem"], requests.sent
    _, body = requests.sent[0]
    assert body["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert "ConditionExpression" in body


# --- Stop: one test per row of the table ------------------------------------------------


@pytest.mark.parametrize("status", ["SUBMITTED", "IN_PROGRESS"])
def test_stop_of_a_running_job_requests_the_stop(stack, status):
    # Given a job that has not finished
    job_id = put_job(status)
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    # When its owner stops it
    with dynamodb_requests() as requests:
        code, body, headers = stop(stack, job_id)
    # Then the answer is STOP_REQUESTED, written in one conditional UpdateItem
    assert code == 200
    assert headers["Content-Type"] == JSON_11
    assert body == {"JobId": job_id, "JobStatus": "STOP_REQUESTED"}
    assert_one_conditional_update(requests)
    after = raw_item(stack.table_name, ACCOUNT, job_id)
    assert after["JobStatus"] == {"S": "STOP_REQUESTED"}
    assert "StopRequestedTime" in after and "StopRequestedTime" not in before
    assert after["AccountStatus"] == {"S": f"{ACCOUNT}#STOP_REQUESTED"}  # List's ByStatus key, same write
    unchanged = {key for key in before if key not in ("JobStatus", "AccountStatus")}
    assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        ("STOP_REQUESTED", "STOP_REQUESTED"),
        ("STOPPED", "STOPPED"),
        ("COMPLETED", "COMPLETED"),
        ("COMPLETED_WITH_ERROR", "COMPLETED_WITH_ERROR"),
        ("FAILED", "FAILED"),
    ],
)
def test_stop_of_a_stopping_or_finished_job_answers_its_status_and_writes_nothing(stack, status, answer):
    # Given a job already stopping, or finished
    job_id = put_job(status, stop_requested_time=1576544000.0 if status == "STOP_REQUESTED" else None)
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    # When it is stopped
    with dynamodb_requests() as requests:
        code, body, _ = stop(stack, job_id)
    # Then its status comes back unchanged, read from the failed condition in the same request
    assert code == 200
    assert body == {"JobId": job_id, "JobStatus": answer}
    assert_one_conditional_update(requests)
    assert requests.results == [("UpdateItem", "ConditionalCheckFailedException")]
    assert raw_item(stack.table_name, ACCOUNT, job_id) == before


@pytest.mark.parametrize("owner", ["absent", "another account"])
def test_stop_of_a_job_the_caller_does_not_have_is_not_found(stack, owner):
    # Given a JobId that is nobody's, or another account's job
    job_id = "0123456789abcdef0123456789abcdef"
    if owner == "another account":
        put_job("IN_PROGRESS", account=OTHER_ACCOUNT, job_id=job_id)
    foreign_before = raw_item(stack.table_name, OTHER_ACCOUNT, job_id)
    # When the caller stops it
    with dynamodb_requests() as requests:
        code, body, headers = stop(stack, job_id)
    # Then it does not exist for them, and nothing is written anywhere (no item is created either)
    assert code == 400
    assert body == {"__type": "ResourceNotFoundException", "message": f"Job {job_id} was not found."}
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert_one_conditional_update(requests)
    assert raw_item(stack.table_name, ACCOUNT, job_id) is None
    assert raw_item(stack.table_name, OTHER_ACCOUNT, job_id) == foreign_before


def test_the_owner_of_a_job_can_still_stop_it_after_another_account_tried(stack):
    job_id = put_job("IN_PROGRESS", account=OTHER_ACCOUNT)
    assert stop(stack, job_id)[0] == 400
    code, body, _ = call(stack, http_event("POST", "/", {"JobId": job_id}, target=STOP, account=OTHER_ACCOUNT))
    assert (code, body["JobStatus"]) == (200, "STOP_REQUESTED")


def test_a_second_stop_answers_stop_requested_and_keeps_the_first_request_time(stack):
    job_id = put_job("IN_PROGRESS")
    stop(stack, job_id)
    first = raw_item(stack.table_name, ACCOUNT, job_id)
    code, body, _ = stop(stack, job_id)
    assert (code, body["JobStatus"]) == (200, "STOP_REQUESTED")
    assert raw_item(stack.table_name, ACCOUNT, job_id) == first



def test_concurrent_stops_all_answer_stop_requested_and_write_once(stack):
    # Given one running job
    job_id = put_job("IN_PROGRESS")
    callers = 8
    start = threading.Barrier(callers)
    answers: list[Any] = [None] * callers

    def caller(index: int) -> None:
        event = http_event("POST", "/", {"JobId": job_id}, target=STOP)
        start.wait()
        try:
            response = stack.runtime.invoke("ApiFunction", event)
            answers[index] = (response["statusCode"], json.loads(response["body"]))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            answers[index] = exc

    # When eight callers stop it at the same moment
    with dynamodb_requests() as requests:
        threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    # Then every caller hears STOP_REQUESTED, and exactly one write changed the item
    assert answers == [(200, {"JobId": job_id, "JobStatus": "STOP_REQUESTED"})] * callers
    assert requests.operations == ["UpdateItem"] * callers
    assert requests.succeeded("UpdateItem") == 1
    assert sorted(code or "" for _, code in requests.results) == [""] + ["ConditionalCheckFailedException"] * 7
    assert raw_item(stack.table_name, ACCOUNT, job_id)["JobStatus"] == {"S": "STOP_REQUESTED"}


# --- REST routes ------------------------------------------------------------------------


def test_rest_stop_route_stops_the_job(stack):
    job_id = put_job("IN_PROGRESS")
    with dynamodb_requests() as requests:
        code, body, _ = call(stack, http_event("POST", f"/jobs/{job_id}/stop"))
    assert (code, body) == (200, {"JobId": job_id, "JobStatus": "STOP_REQUESTED"})
    assert_one_conditional_update(requests)
    assert raw_item(stack.table_name, ACCOUNT, job_id)["JobStatus"] == {"S": "STOP_REQUESTED"}


def test_rest_stop_route_of_an_unknown_job_is_not_found(stack):
    code, body, _ = call(stack, http_event("POST", "/jobs/0123456789abcdef0123456789abcdef/stop"))
    assert (code, body["__type"]) == (400, "ResourceNotFoundException")


def test_rest_stop_route_validates_the_path_job_id(stack):
    job_id = "a" * 33
    with dynamodb_requests() as requests:
        code, body, _ = call(stack, http_event("POST", f"/jobs/{job_id}/stop"))
    assert (code, body["__type"]) == (400, "ValidationException")
    assert requests.sent == []


def test_rest_describe_route_describes_the_job(stack):
    job_id = put_job("IN_PROGRESS")
    code, body, _ = call(stack, http_event("GET", f"/jobs/{job_id}"))
    assert code == 200
    assert body["TextTranslationJobProperties"]["JobId"] == job_id
    assert body["TextTranslationJobProperties"]["JobStatus"] == "IN_PROGRESS"


# --- Describe -----------------------------------------------------------------------------


def test_describe_returns_every_property_of_a_finished_job(stack):
    # Given a finished job with every optional field set
    job_id = put_job(
        "COMPLETED_WITH_ERROR",
        job_name="quarterly-report",
        submitted_time=1576544017.357,
        end_time=1576544321.5,
        message="Translated 8 of 10 documents; 2 failed (see the details file).",
        terminology_names=["glossary"],
        parallel_data_names=["examples"],
        settings={"Formality": "FORMAL", "Profanity": "MASK"},
        input_documents_count=10,
        translated_documents_count=8,
        documents_with_errors_count=2,
    )
    # When its owner describes it
    with dynamodb_requests() as requests:
        code, body, _ = call(stack, http_event("POST", "/", {"JobId": job_id}, target=DESCRIBE))
    # Then every TextTranslationJobProperties field is there, timestamps as epoch numbers
    assert code == 200
    assert body == {
        "TextTranslationJobProperties": {
            "JobId": job_id,
            "JobName": "quarterly-report",
            "JobStatus": "COMPLETED_WITH_ERROR",
            "JobDetails": {"TranslatedDocumentsCount": 8, "DocumentsWithErrorsCount": 2, "InputDocumentsCount": 10},
            "SourceLanguageCode": "en",
            "TargetLanguageCodes": ["fr"],
            "TerminologyNames": ["glossary"],
            "ParallelDataNames": ["examples"],
            "Message": "Translated 8 of 10 documents; 2 failed (see the details file).",
            "SubmittedTime": 1576544017.357,
            "EndTime": 1576544321.5,
            "InputDataConfig": {"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"},
            "OutputDataConfig": {"S3Uri": f"s3://output-docs/out/{ACCOUNT}-TranslateText-{job_id}/"},
            "DataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/TranslateData",
            "Settings": {"Formality": "FORMAL", "Profanity": "MASK"},
        }
    }
    # ... read in one strongly consistent GetItem
    assert requests.operations == ["GetItem"]
    assert requests.sent[0][1]["ConsistentRead"] is True


def test_describe_of_a_running_job_has_zero_counts_and_no_end_time(stack):
    job_id = put_job("IN_PROGRESS")
    _, body, _ = call(stack, http_event("POST", "/", {"JobId": job_id}, target=DESCRIBE))
    properties = body["TextTranslationJobProperties"]
    assert properties["JobDetails"] == {"TranslatedDocumentsCount": 0, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": 0}
    assert "EndTime" not in properties and "Message" not in properties
    assert isinstance(properties["SubmittedTime"], float)


@pytest.mark.parametrize("owner", ["absent", "another account"])
def test_describe_of_a_job_the_caller_does_not_have_is_not_found(stack, owner):
    job_id = "0123456789abcdef0123456789abcdef"
    if owner == "another account":
        put_job("IN_PROGRESS", account=OTHER_ACCOUNT, job_id=job_id)
    code, body, headers = call(stack, http_event("POST", "/", {"JobId": job_id}, target=DESCRIBE))
    assert code == 400
    assert body == {"__type": "ResourceNotFoundException", "message": f"Job {job_id} was not found."}
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"


# --- Error paths through the handler -------------------------------------------------------


def body_event(raw: str | bytes, target: str | None = STOP) -> dict[str, Any]:
    return http_event("POST", "/", raw, target=target)


INVALID_REQUESTS = {
    "job id too long": (body_event(json.dumps({"JobId": "a" * 33})), 400, "ValidationException"),
    "job id missing": (body_event("{}"), 400, "ValidationException"),
    "empty body": (body_event(""), 400, "ValidationException"),
    "malformed JSON": (body_event('{"JobId": '), 400, "SerializationException"),
    "JSON array body": (body_event('["0123456789abcdef0123456789abcdef"]'), 400, "SerializationException"),
    "unknown operation": (body_event('{"JobId": "abc"}', target="ExplodeTextTranslationJob"), 400, "UnknownOperationException"),
    "no X-Amz-Target": (body_event('{"JobId": "abc"}', target=None), 400, "UnknownOperationException"),
    "body over 64 KiB": (body_event(json.dumps({"JobId": "a" * (64 * 1024)})), 413, "RequestEntityTooLargeException"),
}


@pytest.mark.parametrize(("event", "status", "code"), INVALID_REQUESTS.values(), ids=INVALID_REQUESTS.keys())
def test_an_invalid_request_is_rejected_without_touching_the_table(stack, event, status, code):
    # Given a job the request might have reached
    job_id = put_job("IN_PROGRESS", job_id="0123456789abcdef0123456789abcdef")
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    # When the invalid request arrives
    with dynamodb_requests() as requests:
        answer, body, headers = call(stack, event)
    # Then it is rejected with the AWS error, and DynamoDB never heard of it
    assert answer == status
    assert body["__type"] == code
    assert body["message"]
    assert headers["x-amzn-ErrorType"] == code
    assert requests.sent == []
    assert raw_item(stack.table_name, ACCOUNT, job_id) == before


def test_the_validation_message_is_the_aws_message(stack):
    job_id = "a" * 33
    _, body, _ = call(stack, body_event(json.dumps({"JobId": job_id})))
    assert body["message"] == (
        f"1 validation error detected: Value '{job_id}' at 'jobId' failed to satisfy constraint: "
        "Member must have length less than or equal to 32"
    )


def throttle(stack, operation: str) -> None:
    from tests.support.stack import job_store

    def raise_throttling(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded for table"}},
            operation,
        )

    job_store().client().meta.events.register(f"before-call.dynamodb.{operation}", raise_throttling)


@pytest.mark.parametrize(("target", "operation"), [(STOP, "UpdateItem"), (DESCRIBE, "GetItem")])
def test_dynamodb_throttling_becomes_too_many_requests(stack, target, operation):
    # Given a job table that throttles
    job_id = put_job("IN_PROGRESS")
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    throttle(stack, operation)
    # When the job is stopped or described
    code, body, headers = call(stack, http_event("POST", "/", {"JobId": job_id}, target=target))
    # Then the caller is told to slow down (a retryable AWS error), and nothing changed
    assert code == 400
    assert body == {"__type": "TooManyRequestsException", "message": "The job table is throttling requests; retry with backoff."}
    assert headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert raw_item(stack.table_name, ACCOUNT, job_id) == before


def test_an_unexpected_exception_is_a_500_without_internals(stack, monkeypatch):
    from translate_jobs.api import operations

    def broken(deps: Any, caller: Any, request: Any) -> dict[str, Any]:
        raise RuntimeError("secret detail: arn:aws:dynamodb:us-east-1:123456789012:table/jobs")

    monkeypatch.setitem(operations.OPERATIONS, STOP, operations.Operation(operations.StopTextTranslationJob, broken))
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": "abc"}, target=STOP))
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {
        "__type": "InternalServerException",
        "message": "An internal error occurred. Retry your request.",
    }
    assert response["headers"]["x-amzn-ErrorType"] == "InternalServerException"
    assert "secret detail" not in json.dumps(response)
    assert response["headers"]["x-amzn-RequestId"]


def test_a_route_the_api_lacks_is_an_aws_shaped_404(stack):
    # The $default route (template.yaml) brings every unmatched request to the function.
    event = http_event("POST", "/nowhere", {"JobId": "abc"}, target=STOP)
    assert event["routeKey"] == "$default"
    code, body, _ = call(stack, event)
    assert (code, body["__type"]) == (404, "NotFoundException")


def test_a_body_that_is_not_utf8_is_a_serialization_error_and_touches_nothing(stack):
    # Given a body with bytes that are not UTF-8 (API Gateway passes it base64-encoded)
    job_id = put_job("IN_PROGRESS")
    event = http_event("POST", "/", b'{"JobId": "' + job_id.encode() + b'\xff"}', target="StopTextTranslationJob")
    assert event["isBase64Encoded"] is True
    before = raw_item(stack.table_name, ACCOUNT, job_id)
    # When it is sent
    response = stack.runtime.invoke("ApiFunction", event)
    # Then it is a 400 SerializationException and the job is untouched
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["__type"] == "SerializationException"
    assert raw_item(stack.table_name, ACCOUNT, job_id) == before
