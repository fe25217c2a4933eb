"""local_stack.retention: what `make run` forgets after the retention, and what it keeps."""

import time

import boto3
import pytest
from botocore.config import Config

from local_stack.moto_patches import DYNAMODB_LOCK
from local_stack.provision import Stack
from local_stack.retention import Sweep, retention_seconds
from tests.support.stack import REGION, execution_arn, put_job, start_job, wait_for_execution

RETENTION = 600.0


def stream_records(stack: Stack) -> list[dict]:
    """Every record a reader starting now at the stream's oldest one gets."""
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    arn = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=stack.table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])


def test_a_finished_executions_history_is_kept_for_the_retention_then_dropped(buckets: Stack) -> None:
    # Given a job whose workflow has finished
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"Hello.\n")
    job_id = start_job(buckets)
    assert wait_for_execution(buckets, job_id)["status"] == "SUCCEEDED"
    sfn = boto3.client("stepfunctions", region_name=REGION)
    history = sfn.get_execution_history(executionArn=execution_arn(buckets, job_id), maxResults=1000)["events"]
    assert history
    sweep, now = Sweep(retention=RETENTION, dynamodb_lock=DYNAMODB_LOCK), time.time()

    # When a sweep runs within the retention, its history is still there
    sweep(now=now + RETENTION / 2)
    assert len(sfn.get_execution_history(executionArn=execution_arn(buckets, job_id), maxResults=1000)["events"]) == len(history)

    # When one runs after it, the history is gone but the execution still describes itself
    sweep(now=now + RETENTION + 1)
    assert sfn.get_execution_history(executionArn=execution_arn(buckets, job_id))["events"] == []
    execution = sfn.describe_execution(executionArn=execution_arn(buckets, job_id))
    assert execution["status"] == "SUCCEEDED" and execution["output"]
    assert sweep.dropped["execution histories"] == 1


def test_stream_records_older_than_the_retention_are_dropped_and_later_ones_still_read(stack: Stack) -> None:
    # Given a stream with records, seen by a sweep
    old_jobs = [put_job() for _ in range(3)]
    assert {record["dynamodb"]["Keys"]["JobId"]["S"] for record in stream_records(stack)} >= set(old_jobs)
    sweep, now = Sweep(retention=RETENTION, dynamodb_lock=DYNAMODB_LOCK), time.time()
    sweep(now=now)

    # When a later record is written and a sweep runs after the retention
    new_job = put_job()
    sweep(now=now + RETENTION + 1)

    # Then the old records are gone, the later one is still read, in order after them
    records = stream_records(stack)
    assert [record["dynamodb"]["Keys"]["JobId"]["S"] for record in records] == [new_job]
    assert sweep.dropped["stream records"] >= 3


@pytest.mark.parametrize("value", ["0", "-5", "ten"])
def test_a_retention_that_is_not_a_positive_number_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LOCAL_RETENTION_SECONDS", value)
    with pytest.raises(ValueError, match="LOCAL_RETENTION_SECONDS"):
        retention_seconds()


def test_motos_record_of_every_object_it_made_is_cleared_by_a_sweep(stack: Stack) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    # Given items written (moto records every Item it makes, live or not, for its dashboard)
    put_job()
    assert Item.instances_tracked
    # When a sweep runs, then that record is empty (the table still holds its items)
    Sweep(retention=RETENTION, dynamodb_lock=DYNAMODB_LOCK)(now=time.time())
    assert Item.instances_tracked == []
    assert boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table_name)["Count"] == 1
