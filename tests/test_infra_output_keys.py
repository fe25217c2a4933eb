"""Language codes and input keys become output keys: only supported languages, and no `.`/`..`
path segments (issue 12, "Everything else that was found")."""

import boto3
import pytest
from conftest import REGION, http_event, start_job, start_request
from test_workflow import details, output_prefix, outputs, put_documents, read_output, run_to_end


def executions(stack):
    return boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=stack.state_machine_arn)[
        "executions"
    ]


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"TargetLanguageCodes": ["../.."]}, "../.."),
        ({"TargetLanguageCodes": ["fr", ".."]}, ".."),
        ({"TargetLanguageCodes": ["xx"]}, "xx"),
        ({"TargetLanguageCodes": ["auto"]}, "auto"),  # auto is for the source only
        ({"SourceLanguageCode": "../x"}, "../x"),
    ],
)
def test_a_language_the_service_does_not_support_is_refused_over_the_wire(local_api, overrides, code):
    translate, stack = local_api
    # When a Start names a language code Amazon Translate does not support
    with pytest.raises(translate.exceptions.UnsupportedLanguagePairException) as raised:
        translate.start_text_translation_job(**start_request(**overrides))
    # Then it is a 400 UnsupportedLanguagePairException naming the code, and nothing was started
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"The language code {code} is not supported" in error["Error"]["Message"]
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table_name)["Items"] == []
    assert executions(stack) == []


def test_regional_variants_and_an_auto_source_are_accepted(stack):
    request = start_request(SourceLanguageCode="auto", TargetLanguageCodes=["zh-TW", "fr-CA", "es-MX", "pt-PT", "fa-AF"])
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == 200, response


def test_a_document_whose_key_has_dot_segments_fails_alone_and_the_job_goes_on(buckets):
    # Given an input prefix holding a normal document and ones whose keys climb out of the prefix
    put_documents(
        {
            "docs/fine.txt": "Hello\n",
            "docs/../../escape.txt": "Out of the prefix\n",
            "docs/sub/./here.txt": "Same folder\n",
        }
    )
    # When the job runs
    job_id = start_job(buckets)
    record = run_to_end(buckets, job_id)
    # Then only the dot-segment documents fail, each with a message; the other is translated
    assert record.job_status == "COMPLETED_WITH_ERROR"
    assert (int(record.translated_documents_count), int(record.documents_with_errors_count)) == (1, 2)
    assert list(outputs(job_id)) == ["fr.fine.txt"]
    assert read_output(outputs(job_id)["fr.fine.txt"]) == "[fr] Hello\n"
    failed = {entry["sourceFile"]: entry["auxiliaryData"]["error"]["errorMessage"]
              for entry in details(job_id, "fr")["details"] if entry["status"] == "FAILED"}
    assert set(failed) == {"../../escape.txt", "sub/./here.txt"}
    assert all("'.' or '..' path segment" in message for message in failed.values())
    # and nothing was written anywhere else in the output bucket
    keys = [obj["Key"] for obj in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="output-docs")["Contents"]]
    assert all(key.startswith(output_prefix(job_id)) and "/../" not in key for key in keys)


@pytest.fixture(scope="module")
def local_api():
    """`make run`'s stack (moto server, template provisioned, front on a real port) and a botocore client."""
    import os
    import socket

    import conftest

    from local_stack.stack import LocalStack

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    saved = dict(os.environ)
    conftest.reset_caches()
    local = LocalStack(port=free_port(), emulator_port=free_port()).start()
    conftest.reset_caches()
    try:
        translate = boto3.client("translate", endpoint_url=local.api_url, region_name=REGION,
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
        yield translate, local.stack
    finally:
        local.stop()
        os.environ.clear()
        os.environ.update(saved)
        conftest.reset_caches()
