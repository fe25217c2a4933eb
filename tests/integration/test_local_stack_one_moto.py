"""`make run`: one moto, two ways in. The functions call it in-process (no HTTP hop per AWS call);
the AWS CLI and other processes call its server; both see the same data. (A module of its own: it
runs `make run` in this process.)"""

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.stack import ACCOUNT, REGION, put_job, running_local_stack


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    with running_local_stack() as local_stack:
        yield local_stack


def test_the_functions_call_moto_in_process_not_through_the_emulator_port(local: Any) -> None:
    # The SDKs in the process resolve AWS's own endpoints (mock_aws answers them), not the port
    assert "AWS_ENDPOINT_URL" not in os.environ
    from tests.support.stack import job_store

    assert job_store().client().meta.endpoint_url == f"https://dynamodb.{REGION}.amazonaws.com"


def test_what_the_functions_write_in_process_other_callers_read_through_the_port(local: Any) -> None:
    # Given a job, and a caller of the API and one of the emulator's port
    job_id = put_job()
    translate = boto3.client("translate", endpoint_url=local.api_url, region_name=REGION,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    dynamodb = boto3.client("dynamodb", endpoint_url=local.emulator_url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    # When the job is stopped through the API (the function writes in-process)
    assert translate.stop_text_translation_job(JobId=job_id)["JobStatus"] == "STOP_REQUESTED"
    # Then the emulator's port shows the write
    item = dynamodb.get_item(TableName=local.stack.table_name,
                             Key={"AccountId": {"S": ACCOUNT}, "JobId": {"S": job_id}}, ConsistentRead=True)["Item"]
    assert item["JobStatus"] == {"S": "STOP_REQUESTED"}
    # And a write through the port is what the function reads next
    dynamodb.update_item(TableName=local.stack.table_name, Key={"AccountId": {"S": ACCOUNT}, "JobId": {"S": job_id}},
                         UpdateExpression="SET JobName = :name", ExpressionAttributeValues={":name": {"S": "renamed"}})
    assert translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobName"] == "renamed"
