"""local_stack.retention: what `make run` forgets after the retention, and what it keeps."""

import threading
import time

import boto3
import pytest
from botocore.config import Config

from local_stack.moto_patches import DYNAMODB_LOCK
from local_stack.provision import Stack
from local_stack.retention import ITERATOR_LIFETIME_SECONDS, Sweep, retention_seconds
from tests.support.stack import ACCOUNT, REGION, counted_batches, execution_arn, put_job, raw_item, start_job, wait_for_execution
from translate_jobs_local.app import FINISHED, work_data_sweeps

RETENTION = 600.0
OTHER_REGION = "eu-west-1"


def stream_records(stack: Stack) -> list[dict]:
    """Every record a reader starting now at the stream's oldest one gets."""
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    arn = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=stack.table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])


@pytest.mark.long
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


def shard_iterator(region: str, table: str) -> str:
    streams = boto3.client("dynamodbstreams", region_name=region, config=Config(account_id_endpoint_mode="disabled"))
    arn = boto3.client("dynamodb", region_name=region).describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return str(streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"])


def test_the_shard_iterators_of_every_region_expire_15_minutes_after_a_sweep_first_saw_them(stack: Stack) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    # Given a shard iterator in the stack's region, and one of a table in another region (another backend)
    other = boto3.client("dynamodb", region_name=OTHER_REGION)
    other.create_table(TableName="elsewhere", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
                       StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    try:
        iterators = {REGION: shard_iterator(REGION, stack.table_name), OTHER_REGION: shard_iterator(OTHER_REGION, "elsewhere")}

        def held() -> set[str]:
            return {region for region, arn in iterators.items()
                    if arn in dynamodbstreams_backends[ACCOUNT][region].shard_iterators}

        # When sweeps run within their lifetime, they are kept
        sweep, now = Sweep(retention=RETENTION, dynamodb_lock=DYNAMODB_LOCK), time.time()
        sweep(now=now)
        sweep(now=now + ITERATOR_LIFETIME_SECONDS / 2)
        assert held() == {REGION, OTHER_REGION}

        # Then a sweep 15 minutes after the first drops both (each backend's sweep keeps the other's first-seen times)
        sweep(now=now + ITERATOR_LIFETIME_SECONDS)
        assert held() == set()
    finally:
        other.delete_table(TableName="elsewhere")


@pytest.mark.parametrize("value", ["0", "-5", "ten", "nan", "inf"])
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


def work_files(stack: Stack) -> set[str]:
    s3 = boto3.client("s3", region_name=REGION)
    return {item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.work_bucket)
            for item in page.get("Contents", [])}


def job_work_data(stack: Stack, job_id: str, status: str, **fields: float) -> str:
    """A job item with a batch marker and work files, as a job that ran would leave them."""
    put_job(status=status, job_id=job_id, **fields)
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=stack.resolver.ref("BatchCountsTable"), Item={"BatchId": {"S": f"{ACCOUNT}#{job_id}#0"}}
    )
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket=stack.work_bucket, Key=f"manifests/{ACCOUNT}/{job_id}.jsonl", Body=b"{}\n")
    s3.put_object(Bucket=stack.work_bucket, Key=f"results/{ACCOUNT}/{job_id}/batch-0000000.json", Body=b"{}")
    return job_id


@pytest.mark.long
def test_a_finished_jobs_markers_and_work_files_are_kept_for_the_retention_then_dropped(buckets: Stack) -> None:
    # Given a job that ran to its end, one still running and one that finished a retention later
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"Hello.\n")
    job_id = start_job(buckets)
    assert wait_for_execution(buckets, job_id)["status"] == "SUCCEEDED"
    job = raw_item(buckets.table_name, ACCOUNT, job_id)
    assert job and job["JobStatus"]["S"] == "COMPLETED"
    ended = float(job["EndTime"]["N"])
    running = job_work_data(buckets, "running-job", "IN_PROGRESS")
    recent = job_work_data(buckets, "recent-job", "COMPLETED", end_time=ended + RETENTION)
    files, outputs = work_files(buckets), s3.list_objects_v2(Bucket="output-docs")["KeyCount"]
    finished = {key for key in files if f"/{job_id}" in key}
    assert any(key.startswith("manifests/") for key in finished) and any(key.startswith("results/") for key in finished)
    assert any(key.startswith("map-results/") for key in files)
    assert counted_batches(buckets, ACCOUNT, job_id) and outputs
    sweep = Sweep(retention=RETENTION, dynamodb_lock=DYNAMODB_LOCK, steps=work_data_sweeps(buckets))

    # When a sweep runs within the retention, everything is kept
    sweep(now=ended + RETENTION / 2)
    assert work_files(buckets) == files and counted_batches(buckets, ACCOUNT, job_id)

    # When one runs after it, the finished job's markers and work files and the Map's results are gone
    sweep(now=ended + RETENTION + 1)
    assert counted_batches(buckets, ACCOUNT, job_id) == set()
    assert work_files(buckets) == {key for key in files if key not in finished and not key.startswith("map-results/")}
    assert sweep.dropped["batch markers"] == 1 and sweep.dropped["work files"] == len(finished)
    # and the running job's and the recently finished job's are kept, as are every job item and the outputs
    for kept in (running, recent):
        assert counted_batches(buckets, ACCOUNT, kept) == {0}
        assert {f"manifests/{ACCOUNT}/{kept}.jsonl", f"results/{ACCOUNT}/{kept}/batch-0000000.json"} <= work_files(buckets)
    assert all(raw_item(buckets.table_name, ACCOUNT, job) for job in (job_id, running, recent))
    assert s3.list_objects_v2(Bucket="output-docs")["KeyCount"] == outputs

    # When one runs a retention after the recent job finished, its data goes too, the running job's stays
    sweep(now=ended + 2 * RETENTION + 1)
    assert counted_batches(buckets, ACCOUNT, recent) == set() and counted_batches(buckets, ACCOUNT, running) == {0}
    assert not any(recent in key for key in work_files(buckets)) and any(running in key for key in work_files(buckets))


def test_a_listing_is_not_broken_by_keys_deleted_on_another_thread(stack: Stack) -> None:
    from moto.s3.models import s3_backends

    # Given a listing of the work bucket under way (moto iterates a copy of its keys)
    s3 = boto3.client("s3", region_name=REGION)
    for name in ("a", "b", "c"):
        s3.put_object(Bucket=stack.work_bucket, Key=f"results/{name}", Body=b"{}")
    listing = s3_backends[ACCOUNT]["global"].buckets[stack.work_bucket].keys.items()
    assert next(listing)[0] == "results/a"

    # When another thread deletes a key it has not reached yet
    deleter = threading.Thread(target=s3.delete_object, kwargs={"Bucket": stack.work_bucket, "Key": "results/b"})
    deleter.start()
    deleter.join()

    # Then the listing goes on (with what its copy held) instead of failing with a KeyError
    assert [name for name, _ in listing] == ["results/b", "results/c"]


def test_the_sweep_knows_the_service_s_terminal_statuses():
    # local_stack does not import the library; its copy of the terminal statuses must stay the library's.
    from translate_jobs.domain.lifecycle import TERMINAL

    assert {status.value for status in TERMINAL} == FINISHED


def test_a_deleted_objects_tags_go_with_it(buckets: Stack) -> None:
    from moto.s3.models import s3_backends

    # Given objects with and without tags
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="output-docs", Key="tagged.txt", Body=b"a", Tagging="team=a")
    s3.put_object(Bucket="output-docs", Key="plain.txt", Body=b"b")
    s3.put_object(Bucket="output-docs", Key="kept.txt", Body=b"c", Tagging="team=c")

    # When two are deleted (DeleteObject, DeleteObjects)
    s3.delete_object(Bucket="output-docs", Key="tagged.txt")
    s3.delete_objects(Bucket="output-docs", Delete={"Objects": [{"Key": "plain.txt"}]})

    # Then moto keeps no tag set for them (it kept one for every object ever put), and the other keeps its tags
    tag_sets = s3_backends[ACCOUNT]["aws"].tagger.tags
    assert [arn for arn in tag_sets if "output-docs/" in arn] == ["arn:aws:s3:::output-docs/kept.txt/null"]
    assert s3.get_object_tagging(Bucket="output-docs", Key="kept.txt")["TagSet"] == [{"Key": "team", "Value": "c"}]
    s3.put_object(Bucket="output-docs", Key="tagged.txt", Body=b"again")
    assert s3.get_object_tagging(Bucket="output-docs", Key="tagged.txt")["TagSet"] == []
