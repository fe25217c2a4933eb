"""StartTextTranslationJob through the API function's handler, over moto with template.yaml provisioned."""

import json
import re
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, http_event, raw_item, start_request, wait_for_execution

ROLE = f"arn:aws:iam::{ACCOUNT}:role/TranslateData"


def call(stack: Any, operation: str, body: Any) -> tuple[int, dict[str, Any]]:
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", body, target=operation))
    return response["statusCode"], json.loads(response["body"] or "{}")




def executions(stack: Any) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]


@pytest.fixture
def docs(stack: Any) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    for number in range(3):
        s3.put_object(Bucket="input-docs", Key=f"docs/doc{number}.txt", Body=f"Hello {number}\n".encode())
    return stack


def test_start_returns_a_hex_job_id_and_submitted_and_rewrites_the_output_uri(docs):
    status, body = call(docs, "StartTextTranslationJob", start_request())
    assert status == 200, body
    job_id = body["JobId"]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id)
    assert body["JobStatus"] == "SUBMITTED"

    status, described = call(docs, "DescribeTextTranslationJob", {"JobId": job_id})
    assert status == 200, described
    properties = described["TextTranslationJobProperties"]
    assert properties["OutputDataConfig"]["S3Uri"] == f"s3://output-docs/out/{ACCOUNT}-TranslateText-{job_id}/"
    assert properties["JobName"] == "test-job"
    assert properties["DataAccessRoleArn"] == ROLE

    # An execution named after the JobId exists, and the job runs to completion.
    assert [e["name"] for e in executions(docs)] == [job_id]
    assert wait_for_execution(docs, job_id)["status"] == "SUCCEEDED"
    status, described = call(docs, "DescribeTextTranslationJob", {"JobId": job_id})
    assert described["TextTranslationJobProperties"]["JobStatus"] == "COMPLETED"


def test_output_uri_without_trailing_slash_gets_one(docs):
    status, body = call(docs, "StartTextTranslationJob", start_request(OutputDataConfig={"S3Uri": "s3://output-docs/out"}))
    assert status == 200, body
    _, described = call(docs, "DescribeTextTranslationJob", {"JobId": body["JobId"]})
    uri = described["TextTranslationJobProperties"]["OutputDataConfig"]["S3Uri"]
    assert uri == f"s3://output-docs/out/{ACCOUNT}-TranslateText-{body['JobId']}/"
    wait_for_execution(docs, body["JobId"])


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"DataAccessRoleArn": None}, "at 'dataAccessRoleArn' failed to satisfy constraint: Member must not be null"),
        ({"DataAccessRoleArn": "arn:aws:iam::12345:user/Someone"}, "at 'dataAccessRoleArn'"),
        ({"InputDataConfig": {"S3Uri": "http://input-docs/docs/", "ContentType": "text/plain"}}, "s3Uri"),
        ({"OutputDataConfig": {"S3Uri": "s3://UPPER/out/"}}, "s3Uri"),
        ({"InputDataConfig": None}, "inputDataConfig"),
        ({"OutputDataConfig": None}, "outputDataConfig"),
        ({"SourceLanguageCode": None}, "sourceLanguageCode"),
        ({"TargetLanguageCodes": []}, "targetLanguageCodes"),
        ({"ClientToken": "not a token!"}, "clientToken"),
        ({"InputDataConfig": {"S3Uri": "s3://input-docs/docs/", "ContentType": "no slash"}}, "contentType"),
    ],
)
def test_every_member_is_validated(docs, overrides, fragment):
    status, body = call(docs, "StartTextTranslationJob", start_request(**overrides))
    assert status == 400, body
    assert body["__type"] == "ValidationException"
    assert fragment in body["message"]
    assert executions(docs) == []


def test_several_validation_errors_are_counted(docs):
    status, body = call(docs, "StartTextTranslationJob", start_request(DataAccessRoleArn=None, SourceLanguageCode=None))
    assert status == 400
    assert body["message"].startswith("2 validation errors detected: ")


def test_source_equal_to_target_is_an_unsupported_pair_and_writes_nothing(docs):
    status, body = call(docs, "StartTextTranslationJob", start_request(TargetLanguageCodes=["de", "en"]))
    assert status == 400, body
    assert body["__type"] == "UnsupportedLanguagePairException"
    assert "en" in body["message"]
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=docs.table_name)["Items"]
    assert items == []
    assert executions(docs) == []


def test_same_client_token_and_parameters_return_the_same_job(docs):
    _, first = call(docs, "StartTextTranslationJob", start_request())
    status, second = call(docs, "StartTextTranslationJob", start_request())
    assert status == 200, second
    assert second["JobId"] == first["JobId"]
    assert len(executions(docs)) == 1
    wait_for_execution(docs, first["JobId"])
    # Once finished, a retry still returns the job (now with its terminal status) and starts nothing.
    status, third = call(docs, "StartTextTranslationJob", start_request())
    assert (status, third) == (200, {"JobId": first["JobId"], "JobStatus": "COMPLETED"})
    assert len(executions(docs)) == 1


@pytest.mark.long
def test_same_client_token_with_different_parameters_is_rejected(docs):
    _, first = call(docs, "StartTextTranslationJob", start_request())
    wait_for_execution(docs, first["JobId"])
    before = raw_item(docs.table_name, ACCOUNT, first["JobId"])

    status, body = call(docs, "StartTextTranslationJob", start_request(TargetLanguageCodes=["de"]))
    assert status == 400, body
    assert body["__type"] == "InvalidRequestException"
    assert "ClientToken token-1 was already used" in body["message"]
    assert "different parameters" in body["message"]
    assert raw_item(docs.table_name, ACCOUNT, first["JobId"]) == before
    assert len(executions(docs)) == 1


@pytest.mark.long
def test_different_client_tokens_start_different_jobs(docs):
    _, first = call(docs, "StartTextTranslationJob", start_request(ClientToken="a-1"))
    _, second = call(docs, "StartTextTranslationJob", start_request(ClientToken="a-2"))
    assert first["JobId"] != second["JobId"]
    assert len(executions(docs)) == 2
    for job in (first, second):
        assert wait_for_execution(docs, job["JobId"])["status"] == "SUCCEEDED"


def test_a_start_that_fails_after_writing_the_item_is_redriven_by_a_retry(docs, monkeypatch):
    api = docs.runtime.dependencies("ApiFunction")
    real_launcher = api.launcher
    calls = []

    def failing_once(account_id: str, job_id: str) -> None:
        calls.append(job_id)
        if len(calls) == 1:
            raise RuntimeError("StartExecution failed (injected)")
        real_launcher(account_id, job_id)

    monkeypatch.setattr(api, "launcher", failing_once)

    status, body = call(docs, "StartTextTranslationJob", start_request())
    assert status == 500, body
    assert body["__type"] == "InternalServerException"
    assert executions(docs) == []
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=docs.table_name)["Items"]
    assert len(items) == 1 and items[0]["JobStatus"]["S"] == "SUBMITTED"  # the item was written

    status, body = call(docs, "StartTextTranslationJob", start_request())
    assert status == 200, body
    assert body["JobStatus"] == "SUBMITTED"
    assert [e["name"] for e in executions(docs)] == [body["JobId"]]
    assert wait_for_execution(docs, body["JobId"])["status"] == "SUCCEEDED"
    _, described = call(docs, "DescribeTextTranslationJob", {"JobId": body["JobId"]})
    assert described["TextTranslationJobProperties"]["JobStatus"] == "COMPLETED"
    assert described["TextTranslationJobProperties"]["JobDetails"]["TranslatedDocumentsCount"] == 3


def signed(signature: str) -> dict[str, str]:
    return {"authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/execute-api/aws4_request, "
                             f"SignedHeaders=content-type;host;x-amz-date, Signature={signature}"}


@pytest.mark.long
def test_a_rest_start_without_a_client_token_is_one_job_however_often_its_signed_request_is_replayed(docs):
    request = start_request()
    del request["ClientToken"]
    # Given a signed REST Start sent three times (SigV4 accepts a replay for 5 minutes)
    first, *replays = [docs.runtime.invoke("ApiFunction", http_event("POST", "/jobs", request, headers=signed("a" * 64)))
                       for _ in range(3)]
    # Then it started one job, whose ClientToken derives from the signature (hashed: never the signature itself)
    assert first["statusCode"] == 200, first
    body = json.loads(first["body"])
    assert re.fullmatch(r"[0-9a-f]{32}", body["JobId"]) and body["JobStatus"] == "SUBMITTED"
    assert [json.loads(replay["body"])["JobId"] for replay in replays] == [body["JobId"]] * 2
    assert [execution["name"] for execution in executions(docs)] == [body["JobId"]]
    token = raw_item(docs.table_name, ACCOUNT, body["JobId"])["ClientToken"]["S"]
    assert re.fullmatch(r"sigv4-[0-9a-f]{58}", token) and "a" * 16 not in token
    assert wait_for_execution(docs, body["JobId"])["status"] == "SUCCEEDED"

    # A new signed request (another signature: another time) is a new job, as a new SDK call is
    other = docs.runtime.invoke("ApiFunction", http_event("POST", "/jobs", request, headers=signed("b" * 64)))
    assert json.loads(other["body"])["JobId"] != body["JobId"]
    wait_for_execution(docs, json.loads(other["body"])["JobId"])
    # and a token the caller gives is used as given: the same job as an SDK's Start with that token
    mine = http_event("POST", "/jobs", {**request, "ClientToken": "mine"}, headers=signed("c" * 64))
    given = docs.runtime.invoke("ApiFunction", mine)
    status, sdk = call(docs, "StartTextTranslationJob", start_request(ClientToken="mine"))
    assert status == 200 and json.loads(given["body"])["JobId"] == sdk["JobId"]
    wait_for_execution(docs, sdk["JobId"])


def test_an_unsigned_rest_start_without_a_client_token_is_refused_and_writes_nothing(docs):
    request = start_request()
    del request["ClientToken"]
    response = docs.runtime.invoke("ApiFunction", http_event("POST", "/jobs", request))
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {
        "__type": "ValidationException",
        "message": "1 validation error detected: "
                   "Value null at 'clientToken' failed to satisfy constraint: Member must not be null",
    }
    assert executions(docs) == []


FAILED = "failed to satisfy constraint: Member must"


@pytest.mark.parametrize(
    "overrides, constraint",
    [
        ({"Settings": {"Formality": "CASUAL"}}, f"at 'settings.formality' {FAILED} satisfy enum value set: [FORMAL, INFORMAL]"),
        ({"Settings": {"Profanity": "HIDE"}}, f"at 'settings.profanity' {FAILED} satisfy enum value set: [MASK]"),
        ({"Settings": {"Brevity": "OFF"}}, f"at 'settings.brevity' {FAILED} satisfy enum value set: [ON]"),
        ({"TerminologyNames": ["bad name!"]}, f"at 'terminologyNames.1.member' {FAILED} satisfy regular expression pattern"),
        ({"ParallelDataNames": [""]}, f"at 'parallelDataNames.1.member' {FAILED} have length greater than or equal to 1"),
        (
            {"OutputDataConfig": {"S3Uri": "s3://output-docs/out/", "EncryptionKey": {"Type": "AES", "Id": "k"}}},
            f"at 'outputDataConfig.encryptionKey.type' {FAILED} satisfy enum value set: [KMS]",
        ),
        (
            {"OutputDataConfig": {"S3Uri": "s3://output-docs/out/", "EncryptionKey": {"Type": "KMS"}}},
            f"Value null at 'outputDataConfig.encryptionKey.id' {FAILED} not be null",
        ),
    ],
)
def test_settings_names_and_encryption_key_are_validated_as_the_model_says(stack, overrides, constraint):
    # When Start carries a member outside its model constraints
    status, body = call(stack, "StartTextTranslationJob", start_request(**overrides))
    # Then it is a ValidationException that names the member and the constraint, and nothing is written
    assert status == 400 and body["__type"] == "ValidationException"
    assert constraint in body["message"]
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table_name)["Count"] == 0


def test_replaying_a_signed_rest_start_through_the_local_front_starts_one_job(docs):
    # Real SigV4 over real HTTP: the front checks the signature and hands the handler the request's headers
    from tests.support.front import call as http_call
    from tests.support.front import signed_headers
    from tests.support.stack import api_routes, serving_api

    with serving_api(docs.runtime, api_routes()) as front:
        request = start_request()
        del request["ClientToken"]
        body = json.dumps(request).encode()
        headers = signed_headers("POST", front.url + "/jobs", body, {"content-type": "application/json"})
        answers = [http_call(front.url, "POST", "/jobs", body, headers, sign=False) for _ in range(3)]
    assert [status for status, _, _ in answers] == [200, 200, 200], answers
    job_ids = {json.loads(answer)["JobId"] for _, _, answer in answers}
    assert len(job_ids) == 1
    assert wait_for_execution(docs, job_ids.pop())["status"] == "SUCCEEDED"
