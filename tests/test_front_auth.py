"""Callers authenticated and isolated locally (issue 9 part 3): the front checks SigV4 as the HTTP
API's IAM authorizer does, and the caller's account comes from its access key. Real botocore over
real HTTP against the front over the `stack` fixture.
"""

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from conftest import ACCOUNT, put_job, raw_item
from front_helpers import aws_error, call, signed_headers

from local_stack.authorizer import AuthorizationError, account_for, authenticate
from local_stack.front import ApiFront
from local_stack.template import http_api_routes
from translate_jobs.api.client import translate_client

TENANT_A = "111111111111"
TENANT_B = "222222222222"
NO_RETRIES = Config(retries={"max_attempts": 1})


@pytest.fixture
def front(stack: Any) -> Iterator[ApiFront]:
    served = ApiFront(stack.runtime, http_api_routes(stack.template), ACCOUNT, "127.0.0.1", 0)
    served.start()
    try:
        yield served
    finally:
        served.stop()


def client(front: ApiFront, access_key: str = "testing", secret_key: str = "testing", **config: Any) -> Any:
    return boto3.client(
        "translate", endpoint_url=front.url, region_name="us-east-1",
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, config=NO_RETRIES.merge(Config(**config)),
    )


def error_of(call_: Any) -> tuple[int, str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call_()
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_a_request_signed_with_the_local_secret_is_served(front: ApiFront) -> None:
    assert client(front).list_text_translation_jobs()["TextTranslationJobPropertiesList"] == []


def test_the_execute_api_signing_name_is_accepted_too(front: ApiFront) -> None:
    signed_for_api_gateway = translate_client(
        front.url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    assert signed_for_api_gateway.list_text_translation_jobs()["TextTranslationJobPropertiesList"] == []


def test_an_unsigned_request_is_refused_as_api_gateway_refuses_it(front: ApiFront, stack: Any) -> None:
    job_id = put_job("IN_PROGRESS")
    unsigned = client(front, signature_version=UNSIGNED)
    assert error_of(lambda: unsigned.stop_text_translation_job(JobId=job_id)) == (
        403, "MissingAuthenticationTokenException", "Missing Authentication Token"
    )
    assert raw_item(stack.table_name, ACCOUNT, job_id)["JobStatus"]["S"] == "IN_PROGRESS"


def test_a_wrong_secret_is_an_invalid_signature(front: ApiFront, stack: Any) -> None:
    job_id = put_job("IN_PROGRESS")
    status, code, message = error_of(lambda: client(front, secret_key="wrong").stop_text_translation_job(JobId=job_id))
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("The request signature we calculated does not match")
    assert raw_item(stack.table_name, ACCOUNT, job_id)["JobStatus"]["S"] == "IN_PROGRESS"


def test_a_body_changed_after_signing_is_an_invalid_signature(front: ApiFront) -> None:
    target = {"x-amz-target": "AWSShineFrontendService_20170701.ListTextTranslationJobs",
              "content-type": "application/x-amz-json-1.1"}
    headers = signed_headers("POST", front.url + "/", b"{}", target)
    status, answer_headers, body = call(front.url, "POST", "/", b'{"MaxResults": 1}', headers, sign=False)
    assert (status, aws_error(status, answer_headers, body)) == (403, "InvalidSignatureException")
    status, _, _ = call(front.url, "POST", "/", b"{}", headers, sign=False)
    assert status == 200


@pytest.mark.parametrize(
    "signing, code",
    [({"service": "s3"}, "InvalidSignatureException"), ({"region": "eu-west-1"}, "InvalidSignatureException")],
)
def test_a_signature_for_another_service_or_region_is_refused(front: ApiFront, signing: Any, code: str) -> None:
    status, headers, body = call(front.url, "GET", "/jobs", **signing)
    assert (status, aws_error(status, headers, body)) == (403, code)


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
     "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/translate/aws4_request, SignedHeaders=host, Signature=00"],
)
def test_malformed_authorization_headers_are_403s(front: ApiFront, authorization: str) -> None:
    status, headers, body = call(front.url, "GET", "/jobs", headers={"authorization": authorization}, sign=False)
    assert status == 403
    aws_error(status, headers, body)


def _headers_signed_at(moment: datetime) -> dict[str, str]:
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        headers = signed_headers("GET", "http://api.local/jobs", service="translate")
    return {key.lower(): value for key, value in headers.items()} | {"host": "api.local"}


@pytest.mark.parametrize("skew, accepted", [(14, True), (-14, True), (16, False), (-16, False)])
def test_the_signing_date_must_be_within_15_minutes(skew: int, accepted: bool) -> None:
    signed_at = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    headers = _headers_signed_at(signed_at)
    now = signed_at + timedelta(minutes=skew)
    arguments = ("GET", "/jobs", "", headers, b"")
    options: dict[str, Any] = {"region": "us-east-1", "default_account": ACCOUNT, "now": now, "lookup": lambda _: None}
    if accepted:
        assert authenticate(*arguments, **options).account_id == ACCOUNT
    else:
        with pytest.raises(AuthorizationError) as refused:
            authenticate(*arguments, **options)
        assert refused.value.error_type == "InvalidSignatureException"
        assert "Signature expired" in refused.value.message or "Signature not yet current" in refused.value.message


def test_accounts_come_from_12_digit_access_keys() -> None:
    assert account_for("111111111111", ACCOUNT) == "111111111111"
    assert account_for("testing", ACCOUNT) == ACCOUNT
    assert account_for("AKIA11111111111111111", ACCOUNT) == ACCOUNT
    assert account_for("1111111111112", ACCOUNT) == ACCOUNT


def test_an_access_key_issued_by_the_emulator_signs_with_its_own_secret(front: ApiFront, stack: Any) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    issued = client(front, key["AccessKeyId"], key["SecretAccessKey"])
    assert issued.list_text_translation_jobs()["TextTranslationJobPropertiesList"] == []
    assert error_of(lambda: client(front, key["AccessKeyId"], "testing").list_text_translation_jobs())[1] == (
        "InvalidSignatureException"
    )


def test_two_access_keys_are_two_tenants(front: ApiFront, stack: Any) -> None:
    # Given a job in each of two accounts, and a client for each (access key = account)
    job_a = put_job("IN_PROGRESS", account=TENANT_A)
    job_b = put_job("IN_PROGRESS", account=TENANT_B)
    tenant_a, tenant_b = client(front, TENANT_A), client(front, TENANT_B)
    # Then each lists and describes only its own job
    for tenant, mine, theirs in [(tenant_a, job_a, job_b), (tenant_b, job_b, job_a)]:
        listed = tenant.list_text_translation_jobs()["TextTranslationJobPropertiesList"]
        assert [job["JobId"] for job in listed] == [mine]
        assert tenant.describe_text_translation_job(JobId=mine)["TextTranslationJobProperties"]["JobId"] == mine
        assert error_of(lambda: tenant.describe_text_translation_job(JobId=theirs))[:2] == (400, "ResourceNotFoundException")  # noqa: B023
    # And a tenant cannot stop the other's job, which stays as it was
    assert error_of(lambda: tenant_b.stop_text_translation_job(JobId=job_a))[:2] == (400, "ResourceNotFoundException")
    assert raw_item(stack.table_name, TENANT_A, job_a)["JobStatus"]["S"] == "IN_PROGRESS"
    # While its owner can
    assert tenant_a.stop_text_translation_job(JobId=job_a)["JobStatus"] == "STOP_REQUESTED"
    assert raw_item(stack.table_name, TENANT_B, job_b)["JobStatus"]["S"] == "IN_PROGRESS"
    # And the default account (any other access key) sees neither
    assert client(front).list_text_translation_jobs()["TextTranslationJobPropertiesList"] == []


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("query", ["", "?JobStatus=IN_PROGRESS&MaxResults=10"])
def test_curl_signs_as_the_readme_shows(front: ApiFront, query: str) -> None:
    job_id = put_job("IN_PROGRESS")
    sigv4 = ["--aws-sigv4", "aws:amz:us-east-1:execute-api", "--user", "testing:testing"]
    listed = subprocess.run(["curl", "-s", *sigv4, f"{front.url}/jobs{query}"], capture_output=True, timeout=30, check=True)
    assert [job["JobId"] for job in json.loads(listed.stdout)["TextTranslationJobPropertiesList"]] == [job_id]
    stopped = subprocess.run(["curl", "-s", "-X", "POST", *sigv4, f"{front.url}/jobs/{job_id}/stop"],
                             capture_output=True, timeout=30, check=True)
    assert json.loads(stopped.stdout)["JobStatus"] == "STOP_REQUESTED"
    unsigned = subprocess.run(["curl", "-s", f"{front.url}/jobs"], capture_output=True, timeout=30, check=True)
    assert json.loads(unsigned.stdout)["message"] == "Missing Authentication Token"
