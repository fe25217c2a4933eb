"""Job state changes out: the JobsTable stream -> JobEventsFunction -> the stack's EventBridge bus.

The stream is delivered the way Lambda's event source mapping does (local_stack.delivery), and every
event on the bus is read back from a queue a rule routes them to, as `make run` does.
"""

import json
import time
from typing import Any

import boto3
import pytest

from tests.support.events import capture_events, drain, stream_delivery, transitions
from tests.support.stack import ACCOUNT, REGION, put_job, wait_for_execution
from tests.support.stack import start_job as start_any_job

DETAIL_TYPE = "Translate TextTranslationJob State Change"


@pytest.fixture
def bus(stack: Any) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    capture_events(stack)
    yield stack


def start_job(stack: Any) -> str:
    return start_any_job(stack, InputDataConfig={"S3Uri": "s3://input-docs/in/", "ContentType": "text/plain"})


def test_a_completed_run_publishes_each_status_change_once_in_order(bus):
    # Given a one-batch job that runs to the end
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="input-docs", Key="in/a.txt", Body=b"A\n")
    s3.put_object(Bucket="input-docs", Key="in/b.txt", Body=b"B\n")
    job_id = start_job(bus)
    assert wait_for_execution(bus, job_id)["status"] == "SUCCEEDED"

    # When the table's stream is delivered to the publisher
    delivery = stream_delivery(bus)
    records = delivery.pump()

    # Then one event per status change, in order; the count-only and plan writes published nothing
    events = drain()
    assert transitions(events, job_id) == [(None, "SUBMITTED"), ("SUBMITTED", "IN_PROGRESS"), ("IN_PROGRESS", "COMPLETED")]
    assert records > len(events)  # the stream also carried ExecutionArn/plan/count writes
    for event in events:
        assert event["body"]["source"] == "translate-jobs" and event["body"]["detail-type"] == DETAIL_TYPE
    assert len({event["body"]["detail"]["eventId"] for event in events}) == 3
    completed = events[-1]["body"]["detail"]
    assert completed["accountId"] == ACCOUNT and completed["jobName"] == "test-job"
    assert completed["jobDetails"] == {"TranslatedDocumentsCount": 2, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": 2}

    # And delivering again publishes nothing new
    assert delivery.pump() == 0 and drain() == []


def test_a_stopped_job_publishes_submitted_stop_requested_stopped_and_nothing_for_a_repeated_stop(bus):
    from tests.support.stack import job_store

    job_id = put_job("SUBMITTED")
    assert job_store().request_stop(ACCOUNT, job_id, now=time.time()) == "STOP_REQUESTED"
    assert job_store().request_stop(ACCOUNT, job_id, now=time.time()) == "STOP_REQUESTED"  # commits nothing
    boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=bus.state_machine_arn, name=job_id, input=json.dumps({"AccountId": ACCOUNT, "JobId": job_id})
    )
    assert wait_for_execution(bus, job_id)["status"] == "SUCCEEDED"

    stream_delivery(bus).pump()

    assert transitions(drain(), job_id) == [(None, "SUBMITTED"), ("SUBMITTED", "STOP_REQUESTED"), ("STOP_REQUESTED", "STOPPED")]


def test_rejected_and_count_only_writes_publish_nothing(bus):
    from tests.support.stack import job_store
    from translate_jobs.domain.errors import JobStateConflictError
    from translate_jobs.domain.job import BatchCount
    from translate_jobs.domain.lifecycle import Finalization, JobStatus

    done = put_job("COMPLETED")
    running = put_job("IN_PROGRESS", input_documents_count=2)
    delivery = stream_delivery(bus)
    delivery.pump()
    drain()

    # A stop of a finished job and a finalize from the wrong status fail their conditions...
    assert job_store().request_stop(ACCOUNT, done, now=time.time()) == "COMPLETED"
    with pytest.raises(JobStateConflictError):
        job_store().finalize(ACCOUNT, done, Finalization(JobStatus.FAILED, "x", expected=JobStatus.IN_PROGRESS,
                                                         end_time=time.time(), held_slot=True))
    # ...and a batch's counts change no status.
    job_store().count_batch(ACCOUNT, running, BatchCount(0, translated=1, failed=0), now=time.time())

    assert delivery.pump() == 1  # only the count write reached the stream
    assert drain() == []


def test_a_putevents_failure_fails_the_record_and_it_is_retried_in_order(bus, monkeypatch):
    job_id = put_job("SUBMITTED")
    from tests.support.stack import job_store

    job_store().begin(ACCOUNT, job_id)
    job_store().request_stop(ACCOUNT, job_id, now=time.time())
    client = bus.runtime.dependencies("JobEventsFunction").events
    real = client.put_events
    calls: list[str] = []

    def put_events(**kwargs: Any) -> Any:
        status = json.loads(kwargs["Entries"][0]["Detail"])["jobStatus"]
        calls.append(status)
        if status == "IN_PROGRESS" and calls.count("IN_PROGRESS") == 1:  # EventBridge refuses it once
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]}
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", put_events)
    delivery = stream_delivery(bus)

    # The first delivery publishes SUBMITTED, fails IN_PROGRESS and does not try STOP_REQUESTED
    assert delivery.pump() == 1
    assert [item["dynamodb"]["NewImage"]["JobStatus"]["S"] for item in delivery.pending] == ["IN_PROGRESS", "STOP_REQUESTED"]
    # The retry starts at the failed record: nothing is lost, nothing published twice
    assert delivery.pump() == 2
    assert calls == ["SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "STOP_REQUESTED"]
    assert transitions(drain(), job_id) == [(None, "SUBMITTED"), ("SUBMITTED", "IN_PROGRESS"), ("IN_PROGRESS", "STOP_REQUESTED")]


def test_the_partial_batch_response_lists_the_failed_record_and_every_later_one(bus, monkeypatch):

    records = [_record("1", None, "SUBMITTED"), _record("2", "SUBMITTED", "IN_PROGRESS"), _record("3", "IN_PROGRESS", "STOPPED")]
    client = bus.runtime.dependencies("JobEventsFunction").events
    real = client.put_events

    def put_events(**kwargs: Any) -> Any:
        if json.loads(kwargs["Entries"][0]["Detail"])["jobStatus"] == "IN_PROGRESS":
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]}
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", put_events)

    response = bus.runtime.invoke("JobEventsFunction", {"Records": records})

    assert response == {"batchItemFailures": [{"itemIdentifier": "2"}, {"itemIdentifier": "3"}]}
    assert [event["body"]["detail"]["jobStatus"] for event in drain()] == ["SUBMITTED"]


def test_changes_go_out_ten_to_a_putevents_call_in_stream_order_never_two_of_one_job_in_a_call(bus, monkeypatch):
    from tests.support.stack import job_store

    # Given 23 jobs submitted, then the last but one stopped: 24 state changes in one stream batch
    jobs = [put_job("SUBMITTED") for _ in range(23)]
    job_store().request_stop(ACCOUNT, jobs[21], now=time.time())
    client = bus.runtime.dependencies("JobEventsFunction").events
    real = client.put_events
    calls: list[list[tuple[str, str]]] = []

    def put_events(**kwargs: Any) -> Any:
        calls.append(_changes(kwargs["Entries"]))
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", put_events)

    # When the stream is delivered
    assert stream_delivery(bus).pump() == 24

    # Then calls of at most ten entries, in stream order; the stop waits for a call after its job's SUBMITTED
    assert [len(call) for call in calls] == [10, 10, 3, 1]
    assert [change for call in calls for change in call] == [(job, "SUBMITTED") for job in jobs] + [(jobs[21], "STOP_REQUESTED")]
    assert all(len({job for job, _ in call}) == len(call) for call in calls)
    # And every change is on the bus once
    events = drain()
    assert len(events) == 24 and len({event["body"]["detail"]["eventId"] for event in events}) == 24
    assert transitions(events, jobs[21]) == [(None, "SUBMITTED"), ("SUBMITTED", "STOP_REQUESTED")]


@pytest.mark.long
def test_a_call_never_passes_putevents_size_limit(bus, monkeypatch):
    from translate_jobs.events import state_changes

    jobs = [put_job("SUBMITTED") for _ in range(5)]
    client = bus.runtime.dependencies("JobEventsFunction").events
    real = client.put_events
    sizes: list[list[int]] = []

    def put_events(**kwargs: Any) -> Any:
        sizes.append([state_changes._size(entry) for entry in kwargs["Entries"]])
        return real(**kwargs)

    monkeypatch.setattr(client, "put_events", put_events)
    entry_size = state_changes._size(state_changes.state_change_entry(_as_record(jobs[0]), "bus"))
    limit = 3 * entry_size + entry_size // 2  # room for three of these entries, not four
    monkeypatch.setattr(state_changes, "MAX_REQUEST_BYTES", limit)

    assert stream_delivery(bus).pump() == 5
    assert [len(call) for call in sizes] == [3, 2] and all(sum(call) <= limit for call in sizes)
    assert len(drain()) == 5


def test_an_entry_refused_inside_a_call_fails_its_record_and_every_later_one_and_the_retry_keeps_each_jobs_order(
    bus, monkeypatch
):
    from tests.support.stack import job_store

    # Given three jobs submitted, then the second one stopped; EventBridge refuses the second job's SUBMITTED once
    first, second, third = (put_job("SUBMITTED") for _ in range(3))
    job_store().request_stop(ACCOUNT, second, now=time.time())
    client = bus.runtime.dependencies("JobEventsFunction").events
    real = client.put_events
    sent: list[list[tuple[str, str]]] = []

    def put_events(**kwargs: Any) -> Any:
        changes = _changes(kwargs["Entries"])
        sent.append(changes)
        if len(sent) > 1:
            return real(**kwargs)
        refused = changes.index((second, "SUBMITTED"))
        answers = real(Entries=[entry for i, entry in enumerate(kwargs["Entries"]) if i != refused])["Entries"]
        answers.insert(refused, {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
        return {"FailedEntryCount": 1, "Entries": answers}

    monkeypatch.setattr(client, "put_events", put_events)
    delivery = stream_delivery(bus)

    # When the stream is delivered: the first record is done, the refused one and every later one are retried
    assert delivery.pump() == 1
    assert [(item["dynamodb"]["NewImage"]["JobId"]["S"], item["dynamodb"]["NewImage"]["JobStatus"]["S"])
            for item in delivery.pending] == [(second, "SUBMITTED"), (third, "SUBMITTED"), (second, "STOP_REQUESTED")]
    assert delivery.pump() == 3

    # Then the second job's stop never went out before its SUBMITTED; the third job's SUBMITTED went out twice,
    # with one eventId, which is what consumers deduplicate on
    assert sent == [[(first, "SUBMITTED"), (second, "SUBMITTED"), (third, "SUBMITTED")],
                    [(second, "SUBMITTED"), (third, "SUBMITTED")], [(second, "STOP_REQUESTED")]]
    events = drain()
    assert transitions(events, first) == [(None, "SUBMITTED")]
    assert transitions(events, second) == [(None, "SUBMITTED"), ("SUBMITTED", "STOP_REQUESTED")]
    assert transitions(events, third) == [(None, "SUBMITTED"), (None, "SUBMITTED")]
    assert len({event["body"]["detail"]["eventId"] for event in events if event["body"]["detail"]["jobId"] == third}) == 1


def _record(sequence: str, old: str | None, new: str) -> dict[str, Any]:
    def image(status: str) -> dict[str, Any]:
        return {"AccountId": {"S": ACCOUNT}, "JobId": {"S": "0123456789abcdef0123456789abcdef"}, "JobStatus": {"S": status}}

    dynamodb: dict[str, Any] = {"SequenceNumber": sequence, "NewImage": image(new), "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old:
        dynamodb["OldImage"] = image(old)
    return {
        "eventID": f"event-{sequence}",
        "eventName": "MODIFY" if old else "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": dynamodb,
    }


def _changes(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(jobId, jobStatus) of each PutEvents entry."""
    return [(detail["jobId"], detail["jobStatus"]) for detail in (json.loads(entry["Detail"]) for entry in entries)]


def _as_record(job_id: str) -> Any:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    record = _record("1", None, "SUBMITTED")
    record["dynamodb"]["NewImage"]["JobId"] = {"S": job_id}
    record["dynamodb"]["NewImage"]["JobName"] = {"S": "test-job"}
    return DynamoDBRecord(record)
