"""Real clients over real HTTP: botocore's Translate client and the AWS CLI against the local stack
(`make run` on free ports). What these clients send and parse is the contract, so nothing here
builds a request by hand.
"""

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from tests.support import stack as test_stack
from tests.support.stack import ACCOUNT, OTHER_ACCOUNT, put_job, raw_item

ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = ROOT / ".venv-awscli" / "bin" / "aws"
TARGET_PREFIX = "AWSShineFrontendService_20170701."
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}



class Received:
    """The events the API function received through the front, captured on the server side."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.events.clear()

    def targets(self) -> list[str | None]:
        with self.lock:
            return [event["headers"].get("x-amz-target") for event in self.events]


@pytest.fixture(scope="module")
def local():
    with test_stack.running_local_stack() as local_stack:
        received = Received()
        runtime = local_stack.stack.runtime
        invoke = runtime.invoke

        def capturing_invoke(name: str, event: Any) -> Any:
            if name == "ApiFunction":
                with received.lock:
                    received.events.append(event)
            return invoke(name, event)

        runtime.invoke = capturing_invoke  # the front calls this runtime object
        try:
            yield local_stack, received
        finally:
            del runtime.invoke


@pytest.fixture
def api(local) -> Iterator[tuple[Any, Any, Received]]:
    local_stack, received = local
    received.clear()
    client = boto3.client("translate", endpoint_url=local_stack.api_url, **CREDENTIALS)
    yield local_stack, client, received


# --- botocore -------------------------------------------------------------------------------


def test_describe_returns_the_job_as_botocore_parses_it(api):
    local_stack, client, received = api
    # Given a finished job
    job_id = put_job("COMPLETED", submitted_time=1576544017.357, end_time=1576544321.5, message="Translated 1 of 1 documents.",
                     input_documents_count=1, translated_documents_count=1)
    # When botocore describes it
    properties = client.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
    # Then it parses every field, timestamps included, from what the function sent
    assert properties["JobId"] == job_id
    assert properties["JobStatus"] == "COMPLETED"
    assert properties["JobDetails"] == {"TranslatedDocumentsCount": 1, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": 1}
    assert properties["SubmittedTime"].timestamp() == pytest.approx(1576544017.357)
    assert properties["EndTime"].timestamp() == pytest.approx(1576544321.5)
    assert properties["Message"] == "Translated 1 of 1 documents."
    assert received.targets() == [TARGET_PREFIX + "DescribeTextTranslationJob"]


STOP_TABLE = [
    ("SUBMITTED", "STOP_REQUESTED", True),
    ("IN_PROGRESS", "STOP_REQUESTED", True),
    ("STOP_REQUESTED", "STOP_REQUESTED", False),
    ("STOPPED", "STOPPED", False),
    ("COMPLETED", "COMPLETED", False),
    ("COMPLETED_WITH_ERROR", "COMPLETED_WITH_ERROR", False),
    ("FAILED", "FAILED", False),
]


@pytest.mark.parametrize(("status", "answer", "written"), STOP_TABLE, ids=[row[0] for row in STOP_TABLE])
def test_stop_through_botocore_follows_the_stop_table(api, status, answer, written):
    local_stack, client, received = api
    # Given a job in this status
    job_id = put_job(status)
    before = raw_item(local_stack.stack.table_name, ACCOUNT, job_id)
    # When botocore stops it
    response = client.stop_text_translation_job(JobId=job_id)
    # Then it answers as the table says, with a request id, over the AWS JSON 1.1 target
    assert response["JobId"] == job_id
    assert response["JobStatus"] == answer
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    assert received.targets() == ["AWSShineFrontendService_20170701.StopTextTranslationJob"]
    after = raw_item(local_stack.stack.table_name, ACCOUNT, job_id)
    if written:
        assert after["JobStatus"] == {"S": "STOP_REQUESTED"}
    else:
        assert after == before


@pytest.mark.parametrize("owner", ["absent", "another account"])
def test_stop_of_a_job_the_caller_does_not_have_raises_resource_not_found(api, owner):
    local_stack, client, _ = api
    job_id = put_job("IN_PROGRESS", account=OTHER_ACCOUNT) if owner == "another account" else "0123456789abcdef0123456789abcdef"
    before = raw_item(local_stack.stack.table_name, OTHER_ACCOUNT, job_id)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.stop_text_translation_job(JobId=job_id)
    assert raised.value.response["Error"]["Message"] == f"Job {job_id} was not found."
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raw_item(local_stack.stack.table_name, OTHER_ACCOUNT, job_id) == before
    assert raw_item(local_stack.stack.table_name, ACCOUNT, job_id) is None


def test_describe_of_an_absent_job_raises_resource_not_found(api):
    _, client, _ = api
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_text_translation_job(JobId="0123456789abcdef0123456789abcdef")


def test_a_too_long_job_id_raises_validation_exception_with_the_aws_message(local):
    local_stack, received = local
    received.clear()
    # botocore would reject a 33-character id itself; switch its own validation off to reach the server
    client = boto3.client(
        "translate", endpoint_url=local_stack.api_url, config=Config(parameter_validation=False), **CREDENTIALS
    )
    job_id = "a" * 33
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.stop_text_translation_job(JobId=job_id)
    error = raised.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"1 validation error detected: Value '{job_id}' at 'jobId' failed to satisfy constraint: "
        "Member must have length less than or equal to 32"
    )
    assert received.targets() == [TARGET_PREFIX + "StopTextTranslationJob"]


def test_every_response_carries_a_request_id_header(api):
    local_stack, client, _ = api
    job_id = put_job("IN_PROGRESS")
    ok = client.stop_text_translation_job(JobId=job_id)
    assert ok["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.stop_text_translation_job(JobId="0123456789abcdef0123456789abcdef")
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert raised.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"


# --- the AWS CLI -------------------------------------------------------------------------------


def aws(local_stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    assert AWS_CLI.exists(), (
        f"The AWS CLI is missing at {AWS_CLI}: run `make .venv-awscli/.installed` (or `make test`, which installs it)."
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    return subprocess.run(
        [str(AWS_CLI), "translate", *args, "--endpoint-url", local_stack.api_url, "--output", "json"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )


def test_the_aws_cli_stops_a_running_job(local):
    local_stack, received = local
    received.clear()
    job_id = put_job("IN_PROGRESS")
    result = aws(local_stack, "stop-text-translation-job", "--job-id", job_id)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"JobId": job_id, "JobStatus": "STOP_REQUESTED"}
    assert received.targets() == [TARGET_PREFIX + "StopTextTranslationJob"]
    assert raw_item(local_stack.stack.table_name, ACCOUNT, job_id)["JobStatus"] == {"S": "STOP_REQUESTED"}


def test_the_aws_cli_describes_a_job(local):
    local_stack, _ = local
    job_id = put_job("STOPPED", end_time=1576544321.5, message="Stopped on request after 0 of 3 documents.")
    result = aws(local_stack, "describe-text-translation-job", "--job-id", job_id)
    assert result.returncode == 0, result.stderr
    properties = json.loads(result.stdout)["TextTranslationJobProperties"]
    assert properties["JobId"] == job_id
    assert properties["JobStatus"] == "STOPPED"
    assert properties["Message"] == "Stopped on request after 0 of 3 documents."
    assert properties["TargetLanguageCodes"] == ["fr"]


def test_the_aws_cli_reports_a_missing_job(local):
    local_stack, _ = local
    result = aws(local_stack, "stop-text-translation-job", "--job-id", "0123456789abcdef0123456789abcdef")
    assert result.returncode != 0
    assert "ResourceNotFoundException" in result.stderr
    assert "Job 0123456789abcdef0123456789abcdef was not found." in result.stderr
