"""Language codes and input keys become output keys: only supported languages, and no `.`/`..`
path segments (issue 12, "Everything else that was found")."""

import boto3
import pytest

from tests.support.stack import REGION, start_request


def executions(stack):
    return boto3.client("stepfunctions", region_name=REGION).list_executions(stateMachineArn=stack.state_machine_arn)[
        "executions"
    ]


@pytest.fixture(scope="module")
def local_api():
    """`make run`'s stack (moto server, template provisioned, front on a real port) and a botocore client."""
    from tests.support import stack as test_stack

    with test_stack.running_local_stack() as local:
        translate = boto3.client("translate", endpoint_url=local.api_url, region_name=REGION,
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
        yield translate, local.stack


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
