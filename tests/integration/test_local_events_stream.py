"""Local state-change events keep flowing: after an idempotent retry of Start, and past a record
the publisher cannot handle (issue 15, part 3).

The cause was moto's: a cancelled DynamoDB transaction (the retried Start's conditional put)
replaced the table with a copy holding a new stream shard, while the stream reader kept the old
one, so it never saw another record (local_stack.moto_patches now rolls back in place).
"""

import json
import logging
from typing import Any

import boto3
import pytest

from tests.support.events import capture_events, drain, stream_delivery, transitions
from tests.support.stack import ACCOUNT, REGION, http_event, put_job, start_request, wait_for_execution

RAN_TO_THE_END = [(None, "SUBMITTED"), ("SUBMITTED", "IN_PROGRESS"), ("IN_PROGRESS", "COMPLETED")]


@pytest.fixture
def bus(buckets: Any) -> Any:
    capture_events(buckets)
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="in/a.txt", Body=b"Hello\n")
    yield buckets


def start(stack: Any, token: str) -> str:
    request = start_request(ClientToken=token, InputDataConfig={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"})
    response = stack.runtime.invoke("ApiFunction", http_event("POST", "/", request, target="StartTextTranslationJob"))
    assert response["statusCode"] == 200, response
    return str(json.loads(response["body"])["JobId"])


def dead_letters(stack: Any) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=stack.resolver.attributes["JobEventsDeadLetterQueue"]["QueueName"])["QueueUrl"]
    return [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


@pytest.mark.long
def test_after_an_idempotent_retry_of_start_every_later_transition_is_still_published(bus):
    # Given a job started with a ClientToken, its SUBMITTED already delivered
    delivery = stream_delivery(bus)
    first = start(bus, "retried-token")
    delivery.pump()

    # When Start is retried with the same token and parameters, and the job runs to the end
    assert start(bus, "retried-token") == first
    assert wait_for_execution(bus, first)["status"] == "SUCCEEDED"
    # and a later job runs too
    later = start(bus, "later-token")
    assert wait_for_execution(bus, later)["status"] == "SUCCEEDED"
    delivery.pump()

    # Then both jobs published every transition, once (the retry itself published nothing)
    events = drain()
    assert transitions(events, first) == RAN_TO_THE_END
    assert transitions(events, later) == RAN_TO_THE_END


def test_a_cancelled_transaction_leaves_no_stream_record_and_a_stream_reader_sees_later_writes(bus):
    from botocore.config import Config

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    table = bus.table_name
    item = {"AccountId": {"S": ACCOUNT}, "JobId": {"S": "a" * 32}, "JobStatus": {"S": "SUBMITTED"}}
    dynamodb.put_item(TableName=table, Item=item)
    stream = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first = streams.get_records(ShardIterator=iterator)

    # A transaction whose second write is refused: its first write must leave no trace
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {**item, "JobId": {"S": "b" * 32}}}},
            {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(JobId)"}},
        ])
    dynamodb.put_item(TableName=table, Item={**item, "JobId": {"S": "c" * 32}})
    later = streams.get_records(ShardIterator=first["NextShardIterator"])

    def keys(response: dict[str, Any]) -> list[str]:
        return [record["dynamodb"]["Keys"]["JobId"]["S"] for record in response["Records"]]

    assert keys(first) == ["a" * 32] and keys(later) == ["c" * 32]
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"AccountId": {"S": ACCOUNT}, "JobId": {"S": "b" * 32}})


def test_a_record_eventbridge_keeps_refusing_is_retried_then_described_on_failure_and_the_stream_goes_on(
    bus, monkeypatch, caplog
):
    # Given EventBridge refuses every event of one job (running, so later jobs need not queue behind it)
    poisoned = put_job("IN_PROGRESS")
    client = bus.runtime.dependencies("JobEventsFunction").events
    real = client.put_events
    calls: list[str] = []

    def put_events(**kwargs: Any) -> Any:
        job = json.loads(kwargs["Entries"][0]["Detail"])["jobId"]
        calls.append(job)
        if job == poisoned:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "no"}]}
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", put_events)
    delivery = stream_delivery(bus)

    # When the stream is delivered as often as Lambda tries (1 + MaximumRetryAttempts)
    with caplog.at_level(logging.ERROR, logger="local_stack.delivery"):
        for _ in range(delivery.max_retries + 1):
            delivery.pump()

    # Then the record was tried that often, dropped with a log line that says why, and described on the queue
    assert calls.count(poisoned) == delivery.max_retries + 1
    assert "dropped 1 stream records" in caplog.text and "reported record" in caplog.text
    [described] = dead_letters(bus)
    assert described["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert described["DDBStreamBatchInfo"]["batchSize"] == 1

    # And a later job publishes every transition
    later = start(bus, "after-the-poison")
    assert wait_for_execution(bus, later)["status"] == "SUCCEEDED"
    delivery.pump()
    assert transitions(drain(), later) == RAN_TO_THE_END


def test_a_record_that_makes_the_function_fail_is_isolated_by_bisecting_and_the_others_are_published(bus, monkeypatch):
    from translate_jobs.events import state_changes as job_events

    # Given a publisher that crashes on any batch holding one job's record
    real = job_events.publish_job_events
    poisoned = put_job("SUBMITTED")
    others = [put_job("SUBMITTED") for _ in range(3)]
    batches: list[int] = []

    def publish(deps: Any, event: dict[str, Any], context: Any = None) -> Any:
        batches.append(len(event["Records"]))
        if any(r["dynamodb"]["NewImage"]["JobId"]["S"] == poisoned for r in event["Records"]):
            raise RuntimeError("cannot handle this record")
        return real(deps, event, context)

    monkeypatch.setattr(job_events, "publish_job_events", publish)
    delivery = stream_delivery(bus)
    assert delivery.bisect  # BisectBatchOnFunctionError in template.yaml

    # When the stream is delivered until the failing record has used its retries
    while delivery.pending or not batches:
        delivery.pump()

    # Then the batch was split down to the failing record alone, and every other job's SUBMITTED went out
    assert batches[0] == 4 and 1 in batches
    events = drain()
    assert all(transitions(events, job) == [(None, "SUBMITTED")] for job in others)
    assert transitions(events, poisoned) == []
    assert dead_letters(bus)[0]["DDBStreamBatchInfo"]["batchSize"] == 1


def test_a_response_with_a_null_failure_list_is_a_success_of_the_whole_batch(bus, monkeypatch):
    from translate_jobs.events import state_changes as job_events

    put_job("SUBMITTED")
    monkeypatch.setattr(job_events, "publish_job_events", lambda deps, event, context=None: {"batchItemFailures": None})
    delivery = stream_delivery(bus)

    # Lambda's rule: a null list names no failure
    assert delivery.pump() == 1
    assert delivery.pending == [] and delivery.attempts == 0


def test_a_response_that_names_a_record_not_in_the_batch_fails_the_whole_batch(bus, monkeypatch):
    from translate_jobs.events import state_changes as job_events

    put_job("SUBMITTED")
    monkeypatch.setattr(job_events, "publish_job_events",
                        lambda deps, event, context=None: {"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]})
    delivery = stream_delivery(bus)

    assert delivery.pump() == 0
    assert len(delivery.pending) == 1 and delivery.attempts == 1
