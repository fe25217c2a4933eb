"""Terminologies, parallel data and tags with real botocore over real HTTP, against `make run` in this process:
what the SDK sends (the file base64-encoded) and parses (timestamps, the presigned download the caller fetches
from the emulator's S3, as on AWS from S3's)."""

import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support import stack as test_stack

CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
CSV = b"en,fr\nAmazon Photos,Amazon Photos\ncloud,nuage\n"


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    with test_stack.running_local_stack() as local_stack:
        yield local_stack


@pytest.fixture
def clients(local: Any) -> tuple[Any, Any]:
    translate = boto3.client("translate", endpoint_url=local.api_url, **CREDENTIALS)
    s3 = boto3.client("s3", endpoint_url=local.emulator_url, **CREDENTIALS)
    return translate, s3


def test_a_terminology_round_trips_through_botocore_and_its_download_is_fetched_from_the_emulator(local, clients):
    translate, _ = clients
    imported = translate.import_terminology(Name="wire-brand", MergeStrategy="OVERWRITE",
                                            TerminologyData={"File": CSV, "Format": "CSV"},
                                            Tags=[{"Key": "team", "Value": "docs"}])["TerminologyProperties"]
    assert imported["CreatedAt"].timestamp() == pytest.approx(time.time(), abs=60)
    got = translate.get_terminology(Name="wire-brand", TerminologyDataFormat="TSV")
    location = got["TerminologyDataLocation"]["Location"]
    assert location.startswith(local.emulator_url + "/")
    with urllib.request.urlopen(location, timeout=10) as response:  # noqa: S310 - the emulator's own URL
        assert response.read() == b"en\tfr\nAmazon Photos\tAmazon Photos\ncloud\tnuage\n"
    names = [t["Name"] for t in translate.get_paginator("list_terminologies").paginate(PaginationConfig={"PageSize": 1})
             .build_full_result()["TerminologyPropertiesList"]]
    assert "wire-brand" in names
    assert translate.list_tags_for_resource(ResourceArn=imported["Arn"])["Tags"] == [{"Key": "team", "Value": "docs"}]
    translate.delete_terminology(Name="wire-brand")
    with pytest.raises(translate.exceptions.ResourceNotFoundException):
        translate.get_terminology(Name="wire-brand")


def test_parallel_data_goes_creating_to_active_as_botocore_sees_it(clients):
    translate, s3 = clients
    s3.create_bucket(Bucket="wire-examples")
    s3.put_object(Bucket="wire-examples", Key="tm.csv", Body=b"en,fr\nGood morning.,Bonjour.\n")
    config = {"S3Uri": "s3://wire-examples/tm.csv", "Format": "CSV"}
    created = translate.create_parallel_data(Name="wire-tm", ParallelDataConfig=config)
    assert created["Status"] == "CREATING"
    deadline = time.monotonic() + 60
    while (properties := translate.get_parallel_data(Name="wire-tm")["ParallelDataProperties"])["Status"] == "CREATING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert (properties["Status"], properties["ImportedRecordCount"]) == ("ACTIVE", 1)
    assert translate.delete_parallel_data(Name="wire-tm")["Status"] == "DELETING"


def test_an_unknown_terminology_is_refused_at_start_with_awss_error(clients):
    translate, _ = clients
    with pytest.raises(translate.exceptions.ResourceNotFoundException):
        translate.start_text_translation_job(
            InputDataConfig={"S3Uri": "s3://translate-jobs-demo-input/x/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": "s3://translate-jobs-demo-output/x/"},
            DataAccessRoleArn="arn:aws:iam::123456789012:role/TranslateDemoDataAccess",
            SourceLanguageCode="en", TargetLanguageCodes=["fr"], TerminologyNames=["NoSuchTerminology"],
        )
