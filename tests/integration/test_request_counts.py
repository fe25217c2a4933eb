"""How many DynamoDB, Step Functions and EventBridge requests one job's lifecycle costs, counted with a
botocore hook and pinned: a change to what a job costs shows up here, on purpose.

Run with -s to see the table:  .venv/bin/python -m pytest tests/integration/test_request_counts.py -s -q
"""

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient

from tests.support.events import capture_events, drain, stream_delivery
from tests.support.stack import REGION, http_event, start_job, wait_for_execution

COUNTED = ("dynamodb", "events", "states")
# Not the service's requests: the test's own polling. (The stream is read by the local delivery, as
# Lambda's stream poller does on AWS, where its GetRecords are not billed: streams are not counted.)
NOT_THE_SERVICE = ("states:DescribeExecution", "dynamodb:DescribeTable")


# Requests of a 1-batch job (2 documents) run to COMPLETED, and of one stopped before it began.
ONE_BATCH_JOB = {
    # BeginJob (account usage), PlanBatches, TranslateBatch 3 (before each document, its marker), FinalizeJob
    "dynamodb:GetItem": 6,
    "dynamodb:Query": 1,  # BeginJob: the account's oldest queued job (ByStatus)
    # Start (job + queued count), BeginJob (IN_PROGRESS + running), the batch's counts (+ its marker), finalize (+ release)
    "dynamodb:TransactWriteItems": 4,
    "dynamodb:UpdateItem": 1,  # the plan
    "events:PutEvents": 3,  # SUBMITTED, IN_PROGRESS, COMPLETED
    "states:StartExecution": 1,
}
STOPPED_BEFORE_IT_BEGAN = {
    "dynamodb:GetItem": 2,  # BeginJob (account usage), FinalizeJob
    "dynamodb:Query": 1,
    "dynamodb:TransactWriteItems": 3,  # Start, BeginJob's (refused: the job is STOP_REQUESTED), finalize
    "dynamodb:UpdateItem": 1,  # Stop
    "events:PutEvents": 3,  # SUBMITTED, STOP_REQUESTED, STOPPED
    "states:StartExecution": 1,
}


@pytest.fixture
def requests(stack: Any, monkeypatch: Any) -> Counter[str]:
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
    return counts


def start(stack: Any) -> str:
    return start_job(stack, InputDataConfig={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"})


def report(title: str, counts: Counter[str]) -> None:
    print(f"\n{title}")
    for key in sorted(counts):
        print(f"  {key:40} {counts[key]}")


@pytest.mark.long
def test_one_batch_job_run_to_completed(stack, requests):
    job_id = start(stack)
    assert wait_for_execution(stack, job_id)["status"] == "SUCCEEDED"
    stream_delivery(stack).pump()
    assert [event["body"]["detail"]["jobStatus"] for event in drain()] == ["SUBMITTED", "IN_PROGRESS", "COMPLETED"]
    report("1-batch job (2 documents) run to COMPLETED:", requests)
    assert dict(requests) == ONE_BATCH_JOB


def test_job_stopped_before_it_began(stack, requests, monkeypatch):
    # Given a Start whose workflow is launched only after the Stop (so BeginJob always finds STOP_REQUESTED)
    api = stack.runtime.dependencies("ApiFunction")
    launch = api.launcher
    deferred: list[tuple[str, str]] = []
    monkeypatch.setattr(api, "launcher", lambda account_id, job_id: deferred.append((account_id, job_id)))
    job_id = start(stack)
    stopped = stack.runtime.invoke("ApiFunction", http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob"))
    assert json.loads(stopped["body"])["JobStatus"] == "STOP_REQUESTED"
    launch(*deferred.pop())
    assert wait_for_execution(stack, job_id)["status"] == "SUCCEEDED"
    stream_delivery(stack).pump()
    statuses = [event["body"]["detail"]["jobStatus"] for event in drain()]
    report(f"job stopped before it began ({' -> '.join(statuses)}):", requests)
    assert statuses == ["SUBMITTED", "STOP_REQUESTED", "STOPPED"]
    assert dict(requests) == STOPPED_BEFORE_IT_BEGAN


# What one more batch of 2 documents adds (a 3-batch job minus a 1-batch job, halved): the per-batch
# figures docs/cost-model.md scales to 100,000 and 1,000,000 documents. A batch of n documents reads the
# job before each document and its marker once (n + 1 GetItem) and counts in one 2-item transaction.
PER_BATCH_OF_2 = {
    "dynamodb:GetItem": 3,
    "dynamodb:TransactWriteItems": 1,
    "s3:GetObject": 3,  # each document; FinalizeJob reading the batch's results file
    "s3:PutObject": 3,  # each document's translation (one target), the batch's results file
}


@pytest.mark.long
def test_what_one_more_batch_costs(stack, monkeypatch):
    from tests.support.stack import configure

    configure(stack, BATCH_SIZE="2")
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in ("input-docs", "output-docs"):
        s3.create_bucket(Bucket=bucket)
    for n in range(6):
        s3.put_object(Bucket="input-docs", Key=f"three/d{n}.txt", Body=f"Document {n}.\n".encode())
        if n < 2:
            s3.put_object(Bucket="input-docs", Key=f"one/d{n}.txt", Body=f"Document {n}.\n".encode())
    counts: dict[str, Counter[str]] = {}
    sent: dict[str, Counter[str]] = {}
    original = BaseClient._make_api_call
    current: list[str] = []

    def counting(self: Any, operation: str, params: Any) -> Any:
        service = self.meta.service_model.endpoint_prefix
        key = f"{service}:{operation}"
        if current and service in ("dynamodb", "s3") and key not in NOT_THE_SERVICE and key != "s3:ListObjectsV2":
            counts[current[0]][key] += 1
            if service == "dynamodb":  # what DynamoDB bills by: the request's and the answer's JSON
                sent[current[0]]["request bytes"] += len(json.dumps(params, default=str))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    for prefix in ("one", "three"):
        counts[prefix], sent[prefix] = Counter(), Counter()
        current[:] = [prefix]
        job_id = start_job(stack, InputDataConfig={"S3Uri": f"s3://input-docs/{prefix}/", "ContentType": "text/plain"})
        assert wait_for_execution(stack, job_id)["status"] == "SUCCEEDED"
        current[:] = []
    per_batch = {key: (counts["three"][key] - counts["one"][key]) / 2 for key in counts["three"]}
    per_batch_bytes = (sent["three"]["request bytes"] - sent["one"]["request bytes"]) / 2
    report("one more batch of 2 documents:", Counter({key: int(value) for key, value in per_batch.items() if value}))
    print(f"  DynamoDB request bytes per batch: {per_batch_bytes:.0f}")
    assert {key: value for key, value in per_batch.items() if value} == PER_BATCH_OF_2
