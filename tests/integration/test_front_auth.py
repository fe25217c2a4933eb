"""Callers authenticated and isolated locally (issue 9 part 3): the front checks SigV4 as the HTTP
API's IAM authorizer does, and the caller's account comes from its access key. Real botocore over
real HTTP against the front over the `stack` fixture.
"""

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from local_stack.front import ApiFront
from tests.support.front import aws_error, call, signed_headers
from tests.support.stack import ACCOUNT, put_job, raw_item, serving_api, start_request
from translate_jobs.api.client import translate_client

TENANT_A = "111111111111"
TENANT_B = "222222222222"
NO_RETRIES = Config(retries={"max_attempts": 1})


@pytest.fixture
def front(stack: Any) -> Iterator[ApiFront]:
    with serving_api(stack.runtime, stack.routes) as served:
        yield served


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


def test_an_access_key_issued_by_the_emulator_signs_with_its_own_secret(front: ApiFront, stack: Any) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="translate", PolicyDocument=json.dumps(  # each operation is an IAM action
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "translate:*", "Resource": "*"}]}))
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


# ---------- issue 26 items 10 and 12: what a signature covers, and who an issued key is ----------


def _stop_request(front: ApiFront, job_id: str, **headers: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"JobId": job_id}).encode()
    target = {"content-type": "application/x-amz-json-1.1",
              "x-amz-target": "AWSShineFrontendService_20170701.StopTextTranslationJob"}
    return body, {**target, **headers}


@pytest.mark.parametrize("declared", ["UNSIGNED-PAYLOAD", "hash of the signed body"])
def test_a_signed_content_hash_does_not_let_another_body_ride_on_the_signature(front: ApiFront, declared: str) -> None:
    # Given a Stop of job A signed with x-amz-content-sha256 (UNSIGNED-PAYLOAD, or the hash of A's body)
    job_a, job_b = put_job("IN_PROGRESS"), put_job("IN_PROGRESS")
    signed_body, headers = _stop_request(front, job_a)
    value = declared if declared == "UNSIGNED-PAYLOAD" else hashlib.sha256(signed_body).hexdigest()
    signed = signed_headers("POST", front.url + "/", signed_body, {**headers, "X-Amz-Content-SHA256": value})
    # When it is sent with job B's body instead
    other_body, _ = _stop_request(front, job_b)
    status, answer_headers, answer = call(front.url, "POST", "/", other_body, signed, sign=False)
    # Then it is refused and neither job changed
    assert (status, aws_error(status, answer_headers, answer)) == (403, "InvalidSignatureException")
    assert json.loads(answer)["message"] == "The x-amz-content-sha256 header does not match the SHA-256 of the request body."
    assert {raw_item("translate-jobs-JobsTable", ACCOUNT, job)["JobStatus"]["S"] for job in (job_a, job_b)} == {"IN_PROGRESS"}


def test_a_request_signed_for_another_host_is_refused(front: ApiFront) -> None:
    job_id = put_job("IN_PROGRESS")
    body, headers = _stop_request(front, job_id, host="translate.us-east-1.amazonaws.com")
    # signed for Amazon Translate's own endpoint, replayed to this API
    signed = signed_headers("POST", "https://translate.us-east-1.amazonaws.com/", body, headers, service="translate")
    status, answer_headers, answer = call(front.url, "POST", "/", body, signed, sign=False)
    assert (status, aws_error(status, answer_headers, answer)) == (403, "InvalidSignatureException")
    assert "translate.us-east-1.amazonaws.com" in json.loads(answer)["message"]
    assert raw_item("translate-jobs-JobsTable", ACCOUNT, job_id)["JobStatus"]["S"] == "IN_PROGRESS"


@pytest.mark.long
def test_an_iam_user_is_itself_at_the_api_and_may_pass_only_the_roles_its_policy_allows(front: ApiFront, stack: Any) -> None:
    # Given an IAM user of the emulator allowed every Translate operation and nothing else (issue 26 item 12: it
    # acted as the account root)
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="mallory")
    iam.put_user_policy(UserName="mallory", PolicyName="translate", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "translate:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="mallory")["AccessKey"]
    mallory = client(front, key["AccessKeyId"], key["SecretAccessKey"])
    # When she starts a job with the account's data-access role
    status, code, message = error_of(lambda: mallory.start_text_translation_job(**start_request()))
    # Then Start's iam:PassRole check runs for her, as herself, and refuses
    assert (status, code) == (403, "AccessDeniedException")
    assert message.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/mallory is not authorized to perform: iam:PassRole")
    assert mallory.list_text_translation_jobs()["TextTranslationJobPropertiesList"] == []


# ---------- clients of other emulators; each operation its IAM action ----------


@pytest.mark.parametrize("secret", ["test", "testing"])
def test_a_client_configured_as_localstack_or_moto_documents_works_unchanged(front: ApiFront, secret: str) -> None:
    # Given a client with LocalStack's (test/test) or moto's (testing/testing) conventional credentials
    translate = client(front, access_key="test" if secret == "test" else "testing", secret_key=secret)
    # Then every call is served, as the account root of the default account
    job_id = translate.start_text_translation_job(**start_request(ClientToken=f"emulator-{secret}"))["JobId"]
    assert translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobId"] == job_id
    assert raw_item(front.runtime.functions["ApiFunction"].environment["JOBS_TABLE_NAME"], ACCOUNT, job_id) is not None


def iam_user(name: str, statements: list[dict[str, Any]]) -> tuple[str, str]:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName=name)
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_a_policy_granting_only_describe_cannot_start_list_or_import(front: ApiFront) -> None:
    # Given a user whose only permission is translate:DescribeTextTranslationJob, and a job of its account
    job_id = put_job("IN_PROGRESS")
    access_key, secret = iam_user("describer", [{"Effect": "Allow", "Action": "translate:DescribeTextTranslationJob",
                                                 "Resource": "*"}])
    translate = client(front, access_key=access_key, secret_key=secret)
    # When it describes, the job is answered; when it starts or lists, it is refused as Amazon Translate refuses
    assert translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobId"] == job_id
    for refused in (lambda: translate.start_text_translation_job(**start_request()),
                    lambda: translate.list_text_translation_jobs(),
                    lambda: translate.translate_text(Text="Hi", SourceLanguageCode="en", TargetLanguageCode="fr")):
        status, code, message = error_of(refused)
        assert (status, code) == (403, "AccessDeniedException")
        assert message.startswith(f"User: arn:aws:iam::{ACCOUNT}:user/describer is not authorized to perform: translate:")
    # ... and nothing was written
    assert client(front).list_text_translation_jobs()["TextTranslationJobPropertiesList"][0]["JobId"] == job_id
    assert len(client(front).list_text_translation_jobs()["TextTranslationJobPropertiesList"]) == 1


def test_a_policy_on_one_terminology_allows_that_one_only(front: ApiFront) -> None:
    arn = f"arn:aws:translate:us-east-1:{ACCOUNT}:terminology/brand"
    access_key, secret = iam_user("glossary", [{"Effect": "Allow", "Action": ["translate:ImportTerminology",
                                                                              "translate:GetTerminology"], "Resource": arn}])
    translate = client(front, access_key=access_key, secret_key=secret)
    data = {"File": b"en,fr\ncloud,nuage\n", "Format": "CSV"}
    translate.import_terminology(Name="brand", MergeStrategy="OVERWRITE", TerminologyData=data)
    assert translate.get_terminology(Name="brand")["TerminologyProperties"]["Name"] == "brand"
    status, code, message = error_of(lambda: translate.import_terminology(Name="other", MergeStrategy="OVERWRITE",
                                                                          TerminologyData=data))
    assert (status, code) == (403, "AccessDeniedException") and message.endswith("terminology/other")
