"""How many DynamoDB and EventBridge requests one job's lifecycle costs, counted with a botocore hook.

Run with -s to see the table:  .venv/bin/python -m pytest tests/test_request_counts.py -s -q
Only the EventBridge counts are asserted (one PutEvents per status change); the DynamoDB counts
belong to the workflow and are printed, not pinned.
"""

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from conftest import REGION, http_event, start_job, wait_for_execution
from events_helpers import capture_events, drain, reset_event_caches, stream_delivery

COUNTED = ("dynamodb", "events", "streams.dynamodb", "states")
# Not the service's requests: the test's own polling, and the local stream delivery (on AWS, Lambda's
# stream poller reads the stream; GetRecords by Lambda triggers are not billed as requests).
NOT_THE_SERVICE = ("states:DescribeExecution", "dynamodb:DescribeTable")


@pytest.fixture
def requests(stack: Any, monkeypatch: Any) -> Iterator[Counter[str]]:
    reset_event_caches()
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    s3.put_object(Bucket="input-docs", Key="in/a.txt", Body=b"A\n")
    s3.put_object(Bucket="input-docs", Key="in/b.txt", Body=b"B\n")
    capture_events(stack)
    counts: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        service = self.meta.service_model.endpoint_prefix
        if service in COUNTED and f"{service}:{operation}" not in NOT_THE_SERVICE:
            counts[f"{service}:{operation}"] += 1
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    yield counts
    reset_event_caches()


def start(stack: Any) -> str:
    return start_job(stack, InputDataConfig={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"})


def report(title: str, counts: Counter[str]) -> None:
    print(f"\n{title}")
    for key in sorted(counts):
        print(f"  {key:40} {counts[key]}")


def test_one_batch_job_run_to_completed(stack, requests):
    job_id = start(stack)
    assert wait_for_execution(stack, job_id)["status"] == "SUCCEEDED"
    stream_delivery(stack).pump()
    assert [event["body"]["detail"]["jobStatus"] for event in drain()] == ["SUBMITTED", "IN_PROGRESS", "COMPLETED"]
    report("1-batch job (2 documents) run to COMPLETED:", requests)
    assert requests["events:PutEvents"] == 3


def test_job_stopped_before_it_began(stack, requests):
    job_id = start(stack)
    stopped = stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))
    assert json.loads(stopped["body"])["JobStatus"] in ("STOP_REQUESTED", "IN_PROGRESS", "COMPLETED")
    assert wait_for_execution(stack, job_id)["status"] == "SUCCEEDED"
    stream_delivery(stack).pump()
    statuses = [event["body"]["detail"]["jobStatus"] for event in drain()]
    report(f"job stopped right after Start ({' -> '.join(statuses)}):", requests)
    assert requests["events:PutEvents"] == len(statuses)
