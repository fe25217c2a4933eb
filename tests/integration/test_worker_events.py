"""Every event in events/worker/ (the payloads `sam local invoke -e` takes) through its function.

A new event file without an expectation here fails test_every_event_file_has_an_expectation.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from local_stack.template import ROOT
from tests.support.stack import ACCOUNT, REGION, counted_batches, put_job

EVENTS = ROOT / "events" / "worker"
JOB_ID = "0123456789abcdef0123456789abcdef"


@dataclass
class Expectation:
    function: str
    status: str  # the job's status before the event
    result: Callable[[Any], Any]  # the expected result, given the stack
    status_after: str
    fields: dict[str, Any] = field(default_factory=dict)


EXPECTATIONS = {
    "begin_job.json": Expectation(
        "BeginJobFunction", "SUBMITTED", lambda stack: {"Action": "RUN", "WaitSeconds": 0, "Polls": 0}, "IN_PROGRESS"
    ),
    "plan_batches.json": Expectation(
        "PlanBatchesFunction",
        "IN_PROGRESS",
        lambda stack: {"ManifestBucket": stack.work_bucket, "ManifestKey": f"manifests/{ACCOUNT}/{JOB_ID}.jsonl", "BatchCount": 1,
                       "Continuation": None},
        "IN_PROGRESS",
    ),
    "translate_batch.json": Expectation(
        "TranslateBatchFunction",
        "IN_PROGRESS",
        lambda stack: {"Translated": 2, "Failed": 0, "Skipped": False},
        "IN_PROGRESS",
        {"input_documents_count": 2, "batch_count": 1},
    ),
    "finalize_job.json": Expectation(
        "FinalizeJobFunction",
        "IN_PROGRESS",
        lambda stack: {"JobStatus": "COMPLETED"},
        "COMPLETED",
        {"input_documents_count": 2, "translated_documents_count": 2, "batch_count": 1},
    ),
    "finalize_job_failed.json": Expectation(
        "FinalizeJobFunction", "IN_PROGRESS", lambda stack: {"JobStatus": "FAILED"}, "FAILED"
    ),
}


def test_every_event_file_has_an_expectation():
    files = sorted(path.name for path in EVENTS.glob("*.json"))
    assert files, f"no events in {EVENTS}"
    assert files == sorted(EXPECTATIONS)


@pytest.mark.parametrize("name", sorted(path.name for path in EVENTS.glob("*.json")))
def test_event_runs_through_its_function(stack, name):
    assert name in EXPECTATIONS, f"events/worker/{name} has no expectation in {__file__}"
    expected = EXPECTATIONS[name]
    event = json.loads((EVENTS / name).read_text())
    assert event["AccountId"] == ACCOUNT and event["JobId"] == JOB_ID

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    s3.put_object(Bucket="input-docs", Key="in/a.txt", Body=b"Hello\n")
    s3.put_object(Bucket="input-docs", Key="in/nested/b.txt", Body=b"World\n")
    put_job(expected.status, job_id=JOB_ID, **expected.fields)

    result = stack.runtime.invoke(expected.function, event)
    assert result == expected.result(stack)

    from tests.support.stack import job_store

    record = job_store().get(ACCOUNT, JOB_ID)
    assert record.job_status == expected.status_after
    out = f"out/{ACCOUNT}-TranslateText-{JOB_ID}/"
    if name == "plan_batches.json":
        manifest = s3.get_object(Bucket=stack.work_bucket, Key=result["ManifestKey"])["Body"].read().decode()
        # JSON Lines, one batch a line; the job's ids are the Map's to add (its ItemSelector).
        assert [json.loads(line) for line in manifest.splitlines()] == [{"Batch": 0, "Keys": ["in/a.txt", "in/nested/b.txt"]}]
        assert int(record.input_documents_count) == 2
    if name == "translate_batch.json":
        assert s3.get_object(Bucket="output-docs", Key=f"{out}nested/fr.b.txt")["Body"].read() == b"[fr] World\n"
        assert int(record.translated_documents_count) == 2 and counted_batches(stack, ACCOUNT, JOB_ID) == {0}
    if name == "finalize_job.json":
        assert record.message == "Translated 2 of 2 documents." and record.end_time is not None
    if name == "finalize_job_failed.json":
        # The message is the errorMessage inside the Catch's Cause, as a user should read it.
        assert record.message == (
            "Translate could not list the input location: The DataAccessRoleArn "
            f"arn:aws:iam::{ACCOUNT}:role/TranslateData may not read s3://input-docs/in/ (s3:ListBucket was denied)."
        )
        assert record.end_time is not None


def test_the_fixtures_of_translate_function_and_parallel_data_function_run_through_them(stack):
    """events/translate/ (TranslateText as ApiFunction hands it on) and events/parallel-data/ (a deletion as its
    workflow asks, of a resource already gone: nothing to do, done)."""
    text = json.loads((ROOT / "events" / "translate" / "text.json").read_text())
    assert stack.runtime.invoke("TranslateFunction", text) == {
        "TranslatedText": "[fr] Hello, world", "SourceLanguageCode": "en", "TargetLanguageCode": "fr",
    }
    deletion = json.loads((ROOT / "events" / "parallel-data" / "delete.json").read_text())
    assert stack.runtime.invoke("ParallelDataFunction", deletion) == {"Outcome": "DELETED"}
