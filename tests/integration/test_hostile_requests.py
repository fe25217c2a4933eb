"""Hostile input to the API function (deployed as locally): each request that used to end in a 500
is a 400 with the exception AWS would name, is logged (the record itself survives), and writes nothing.
"""

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, http_event, put_job, start_request
from translate_jobs.api import tokens
from translate_jobs.core.config import Settings
from translate_jobs.core.observability import logger

LIST = "ListTextTranslationJobs"
START = "StartTextTranslationJob"


class Records(logging.Handler):
    """The API's log records, formatted by its own formatter, as the Lambda runtime would write them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = logger.registered_formatter.format(record)
        line.encode("utf-8")  # what a UTF-8 log stream does; a lone surrogate would raise here
        self.lines.append(line)

    def rejections(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines if '"Request rejected"' in line]


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def answer(stack: Any, event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = stack.runtime.invoke("ApiFunction", event)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def raw(stack: Any, body: bytes | str, target: str = LIST) -> tuple[int, dict[str, Any], dict[str, str]]:
    return answer(stack, http_event("POST", "/", body, target=target))


def rest_list(stack: Any, params: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
    event = http_event("GET", "/jobs")
    event["queryStringParameters"] = params
    return answer(stack, event)


def table_items(stack: Any) -> list[dict[str, Any]]:
    return boto3.client("dynamodb", region_name=REGION).scan(TableName=Settings.from_environ().jobs_table_name)["Items"]


def assert_rejected(result: tuple[int, dict[str, Any], dict[str, str]], code: str, records: Records) -> dict[str, Any]:
    status, body, headers = result
    assert (status, body.get("__type"), headers.get("x-amzn-ErrorType")) == (400, code, code), body
    logged = records.rejections()
    assert logged and logged[-1]["error_code"] == code, records.lines
    return body


def test_a_member_with_an_empty_name_is_a_validation_error(stack: Any, records: Records) -> None:
    body = assert_rejected(raw(stack, '{"JobId": "x", "": 1}', "DescribeTextTranslationJob"), "ValidationException", records)
    assert "Value at '' failed to satisfy constraint: Member must be a known member" in body["message"]
    assert_rejected(rest_list(stack, {"": "x"}), "ValidationException", records)


def test_deeply_nested_json_is_a_serialization_error(stack: Any, records: Records) -> None:
    for body in ["[" * 12000, "[" * 12000 + "]" * 12000, '{"JobId": ' + "[" * 12000 + "]" * 12000 + "}"]:
        assert_rejected(raw(stack, body, "DescribeTextTranslationJob"), "SerializationException", records)


def test_nesting_that_parses_is_a_bounded_400(stack: Any) -> None:
    # 5,000 levels parse on Python 3.13 (not on 3.11): then the member has the wrong type
    status, body, _ = raw(stack, '{"JobId": ' + "[" * 5000 + "]" * 5000 + "}", "DescribeTextTranslationJob")
    assert (status, body["__type"]) in {(400, "ValidationException"), (400, "SerializationException")}
    assert len(body["message"]) < 400


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1" * 5000])
def test_json_that_is_not_a_number_or_too_long_a_number_is_a_serialization_error(
    stack: Any, records: Records, literal: str
) -> None:
    body = '{"Filter": {"SubmittedAfterTime": ' + literal + "}}"
    assert_rejected(raw(stack, body), "SerializationException", records)


@pytest.mark.parametrize("literal", ["1e126", "1e400", "-1e126", "9" * 400, "253402300800"])
def test_timestamps_outside_dates_are_a_validation_error(stack: Any, records: Records, literal: str) -> None:
    body = '{"Filter": {"SubmittedBeforeTime": ' + literal + "}}"
    message = assert_rejected(raw(stack, body), "ValidationException", records)["message"]
    assert "at 'filter.submittedBeforeTime' failed to satisfy constraint: Member must be a timestamp" in message
    assert len(message) < 400  # the 400-digit value is shown truncated


@pytest.mark.parametrize("value", ["1e126", "NaN", "inf", "9" * 400])
def test_rest_timestamps_outside_dates_are_a_validation_error(stack: Any, records: Records, value: str) -> None:
    assert_rejected(rest_list(stack, {"SubmittedAfterTime": value}), "ValidationException", records)


def test_the_edges_of_the_timestamp_range_are_accepted(stack: Any) -> None:
    for value in (-62135596800, 253402300799, 0, 1.5):
        status, body, _ = raw(stack, json.dumps({"Filter": {"SubmittedAfterTime": value}}))
        assert status == 200, body


@pytest.mark.parametrize(
    "overrides",
    [
        {"TargetLanguageCodes": ["\ud800"]},
        {"InputDataConfig": {"S3Uri": "s3://input-docs/\udfff/", "ContentType": "text/plain"}},
        {"DataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/\ud83d"},
        {"JobName": "a\ud800b"},
        {"\ud800": 1},
    ],
    ids=["target-language", "s3-uri", "role-arn", "job-name", "member-name"],
)
def test_lone_surrogates_are_a_serialization_error_and_are_logged(stack: Any, records: Records, overrides: Any) -> None:
    # json.dumps writes a lone surrogate as the escape \udXXX, as a hostile client would send it
    body = json.dumps(start_request(ClientToken="surrogates", **overrides))
    assert_rejected(raw(stack, body, START), "SerializationException", records)
    assert table_items(stack) == []


def test_a_lone_surrogate_in_a_path_parameter_is_a_serialization_error(stack: Any, records: Records) -> None:
    event = http_event("GET", "/jobs/abc")
    event["pathParameters"] = {"JobId": "ab\ud800"}
    assert_rejected(answer(stack, event), "SerializationException", records)


def test_a_lone_surrogate_in_a_query_parameter_is_a_serialization_error(stack: Any, records: Records) -> None:
    assert_rejected(rest_list(stack, {"JobName": "\udc80"}), "SerializationException", records)


def test_an_unexpected_error_is_logged_even_with_a_lone_surrogate(stack: Any, records: Records, monkeypatch: Any) -> None:
    from translate_jobs.api import operations

    def broken(deps: Any, caller: Any, request: Any) -> dict[str, Any]:
        raise RuntimeError("boom \ud800")

    describe = operations.Operation(operations.DescribeTextTranslationJob, broken)
    monkeypatch.setitem(operations.OPERATIONS, "DescribeTextTranslationJob", describe)
    status, body, _ = raw(stack, '{"JobId": "abc"}', "DescribeTextTranslationJob")
    assert (status, body["__type"]) == (500, "InternalServerException")
    assert any('"Unexpected error"' in line and "\\ud800" in line for line in records.lines), records.lines


def _signed_token(account: str, job_filter: dict[str, Any] | None, key: Any) -> str:
    """A NextToken signed with the real secret (as if it leaked) around a key of the wrong shape."""
    payload = json.dumps(
        {"v": tokens.TOKEN_VERSION, "a": account, "f": tokens._filter_digest(job_filter), "k": key,
         "e": int(time.time()) + tokens.TOKEN_TTL_SECONDS},
        sort_keys=True, separators=(",", ":"),
    ).encode()
    secret = Settings.from_environ().pagination_secret()
    return f"{tokens._b64encode(payload)}.{tokens._b64encode(tokens._signature(secret, payload))}"


GOOD_KEY = {"AccountId": {"S": ACCOUNT}, "JobId": {"S": "0" * 32}, "SubmittedTime": {"N": "1700000000"}}


@pytest.mark.parametrize(
    "key",
    [
        {},
        {"AccountId": {"S": ACCOUNT}},
        {**GOOD_KEY, "Extra": {"S": "x"}},
        {**GOOD_KEY, "SubmittedTime": {"S": "1700000000"}},
        {**GOOD_KEY, "SubmittedTime": {"N": "NaN"}},
        {**GOOD_KEY, "SubmittedTime": {"N": "1e999"}},
        # numbers float() reads but DynamoDB's keys never hold: an exponent, another script's digits, spaces, ...
        *({**GOOD_KEY, "SubmittedTime": {"N": text}}
          for text in ("1e300", "1E5", "\u0661\u0662", " 5", "+5", "0x10", "1_000", "5.", ".5")),
        {**GOOD_KEY, "JobId": {"S": ""}},
        {**GOOD_KEY, "JobId": {"S": "a\ud800"}},
        {**GOOD_KEY, "JobId": {"B": "AAAA"}},
        {**GOOD_KEY, "JobId": "plain"},
        {**GOOD_KEY, "JobId": {"S": "x", "N": "1"}},
        {**GOOD_KEY, "AccountId": {"S": "210987654321"}},
    ],
)
def test_a_signed_next_token_with_a_key_of_the_wrong_shape_is_invalid(stack: Any, records: Records, key: Any) -> None:
    token = _signed_token(ACCOUNT, None, key)
    body = assert_rejected(raw(stack, json.dumps({"NextToken": token})), "InvalidRequestException", records)
    assert body["message"].startswith("The NextToken is not valid")


def test_a_signed_next_token_with_the_right_shape_is_used(stack: Any) -> None:
    put_job(submitted_time=1700000001.0)
    status, body, _ = raw(stack, json.dumps({"NextToken": _signed_token(ACCOUNT, None, GOOD_KEY)}))
    assert status == 200, body
    assert body["TextTranslationJobPropertiesList"] == []  # the page after GOOD_KEY, newest first: nothing older


def test_many_problems_give_a_bounded_error_and_log_line(stack: Any, records: Records) -> None:
    # Given 16,000 one-letter target codes (a 64 KB request, each code too short)
    codes = ["a"] * 16000
    request = json.dumps(start_request(ClientToken="many", TargetLanguageCodes=codes), separators=(",", ":"))
    assert len(request) < 65536
    # When Start validates it
    status, body, headers = raw(stack, request, START)
    # Then the answer counts every problem, lists a few, and stays small, as does its log record
    assert (status, body["__type"]) == (400, "ValidationException")
    assert body["message"].startswith("16000 validation errors detected: ")
    assert body["message"].endswith("; and 15990 more")
    assert len(json.dumps(body)) < 4000
    assert max(len(line) for line in records.lines) < 6000
    assert table_items(stack) == []


def test_a_long_unknown_target_is_answered_briefly(stack: Any) -> None:
    event = http_event("POST", "/", {"JobId": "x"}, headers={"x-amz-target": "A" * 60000})
    status, body, _ = answer(stack, event)
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert len(body["message"]) < 200


def test_a_body_that_is_not_base64_is_a_serialization_error(stack: Any, records: Records) -> None:
    event = http_event("POST", "/", b"", target="DescribeTextTranslationJob")
    event.update(body="!!not base64!!", isBase64Encoded=True)
    assert_rejected(answer(stack, event), "SerializationException", records)
