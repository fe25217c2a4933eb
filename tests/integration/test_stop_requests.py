"""Stop requests in: the stop-request queue (SQS, partial batch failures) and EventBridge events,
both running the API's own Stop, restricted to the accounts in StopRequestAccounts."""

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from local_stack.delivery import RETRY_DELAY_SECONDS
from tests.support.events import drain, queue_delivery
from tests.support.stack import ACCOUNT, OTHER_ACCOUNT, REGION, put_job

DLQ = "translate-jobs-StopRequestDeadLetterQueue"


@pytest.fixture
def stops(stack: Any, monkeypatch: Any) -> Any:
    # OTHER_ACCOUNT is not listed
    stack.runtime.update_configuration("StopRequestFunction", STOP_REQUEST_ACCOUNTS=f"{ACCOUNT},{ALLOWED_ACCOUNT}")
    return stack


def status(job_id: str, account: str = ACCOUNT) -> str:
    from tests.support.stack import job_store

    return str(job_store().get(account, job_id).job_status)


ALLOWED_ACCOUNT = "111122223333"  # listed in StopRequestAccounts (the fixture), but not the stack's account


def sqs_record(body: str) -> dict[str, Any]:
    """One record of the event Lambda's SQS event source mapping sends."""
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
        "messageAttributes": {},
        "md5OfBody": "0",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:translate-jobs-StopRequestQueue",
        "awsRegion": REGION,
    }


def stop_event(detail: Any, account: str = ACCOUNT) -> dict[str, Any]:
    """The event as EventBridge gives it to the function: ``account`` is the sender's (EventBridge sets it)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "StopTextTranslationJob Request",
        "source": "my.orders",
        "account": account,
        "time": "2026-01-01T00:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def test_a_batch_stops_good_requests_rejects_bad_ones_and_retries_only_transient_failures(stops, monkeypatch):
    from translate_jobs.api import operations
    from translate_jobs.domain.errors import ThrottledError

    # Given jobs, and a Stop that is throttled for one of them
    good, throttled, other = put_job("IN_PROGRESS"), put_job("SUBMITTED"), put_job("IN_PROGRESS", account=OTHER_ACCOUNT)
    real_stop = operations.stop

    def stop(store: Any, caller: Any, job_id: str) -> Any:
        if job_id == throttled:
            raise ThrottledError("The job table is throttling requests; retry with backoff.")
        return real_stop(store, caller, job_id)

    monkeypatch.setattr(operations, "stop", stop)
    records = {
        "good": sqs_record(json.dumps({"JobId": good, "AccountId": ACCOUNT})),
        "throttled": sqs_record(json.dumps({"JobId": throttled, "AccountId": ACCOUNT})),
        "not-json": sqs_record("stop it please"),
        "missing-job-id": sqs_record(json.dumps({"AccountId": ACCOUNT})),
        "invalid-job-id": sqs_record(json.dumps({"JobId": "x" * 33, "AccountId": ACCOUNT})),
        "unknown-job": sqs_record(json.dumps({"JobId": uuid.uuid4().hex, "AccountId": ACCOUNT})),
        "disallowed-account": sqs_record(json.dumps({"JobId": other, "AccountId": OTHER_ACCOUNT})),
    }

    # When the batch arrives
    response = stops.runtime.invoke("StopRequestFunction", {"Records": list(records.values())})

    # Then only the transient failure is redelivered; the good one stopped its job
    assert response == {"batchItemFailures": [{"itemIdentifier": records["throttled"]["messageId"]}]}
    assert status(good) == "STOP_REQUESTED"
    assert status(throttled) == "SUBMITTED"
    assert status(other, OTHER_ACCOUNT) == "IN_PROGRESS"  # never applied
    # And the four that can never succeed are in the dead-letter queue at once, each with its reason
    rejected = {
        message["body"] if isinstance(message["body"], str) else json.dumps(message["body"]): message["attributes"][
            "RejectedReason"
        ]["StringValue"]
        for message in drain(DLQ)
    }
    assert len(rejected) == 4
    assert rejected["stop it please"] == "The message body is not JSON."
    assert rejected[records["missing-job-id"]["body"]] == (
        "1 validation error detected: Value null at 'jobId' failed to satisfy constraint: Member must not be null"
    )
    assert "Member must have length less than or equal to 32" in rejected[records["invalid-job-id"]["body"]]
    assert (
        rejected[records["disallowed-account"]["body"]]
        == f"Account {OTHER_ACCOUNT} may not send stop requests (see StopRequestAccounts)."
    )


def test_a_dead_letter_send_that_fails_is_a_batch_item_failure(stops, monkeypatch):
    client = stops.runtime.dependencies("StopRequestFunction").sqs

    def send_message(**kwargs: Any) -> Any:
        raise ConnectionError("SQS is unreachable")

    monkeypatch.setattr(client, "send_message", send_message)
    bad = sqs_record("not json")
    assert stops.runtime.invoke("StopRequestFunction", {"Records": [bad]}) == {
        "batchItemFailures": [{"itemIdentifier": bad["messageId"]}]
    }


def test_with_no_allowed_accounts_no_message_stops_a_job(stack, monkeypatch):
    stack.runtime.update_configuration("StopRequestFunction", STOP_REQUEST_ACCOUNTS="")  # the template's default
    job_id = put_job("IN_PROGRESS")
    response = stack.runtime.invoke(
        "StopRequestFunction", {"Records": [sqs_record(json.dumps({"JobId": job_id, "AccountId": ACCOUNT}))]}
    )
    assert response == {"batchItemFailures": []}
    assert status(job_id) == "IN_PROGRESS"
    assert len(drain(DLQ)) == 1


@pytest.mark.long
def test_messages_on_the_stop_queue_stop_jobs_and_a_failing_one_ends_in_the_dead_letter_queue(stops, monkeypatch):
    from translate_jobs.api import operations

    # Given a message on the queue for a job, and one whose Stop keeps failing
    job_id, failing = put_job("IN_PROGRESS"), put_job("IN_PROGRESS")
    real_stop = operations.stop

    def stop(store: Any, caller: Any, job_id: str) -> Any:
        if job_id == failing:
            raise RuntimeError("the table is unavailable")
        return real_stop(store, caller, job_id)

    monkeypatch.setattr(operations, "stop", stop)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="translate-jobs-StopRequestQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"JobId": job_id, "AccountId": ACCOUNT}))
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"JobId": failing, "AccountId": ACCOUNT}))

    # When the queue is polled as Lambda's event source mapping does, until it is empty
    delivery = queue_delivery(stops)
    deadline = time.monotonic() + 120  # only against a hang: the loop ends when the queue is empty
    while delivery.pump() or _visible_or_in_flight(url):
        assert time.monotonic() < deadline, "the stop-request queue never emptied"
        time.sleep(0.2)

    # Then the job is stopped, and the failing message went to the DLQ after maxReceiveCount (3) receives
    assert status(job_id) == "STOP_REQUESTED"
    dead = drain(DLQ)
    assert [message["body"] for message in dead] == [{"JobId": failing, "AccountId": ACCOUNT}]
    assert "RejectedReason" not in dead[0]["attributes"]


@pytest.mark.parametrize("response", [{"batchItemFailures": [report]} for report in (
    {}, {"itemIdentifier": ""}, {"itemIdentifier": None}, {"itemIdentifier": "not-in-it"}, "not-an-object")]
    + ["not-an-object", {"batchItemFailures": "not-a-list"}, {"batchItemFailures": 7}])
def test_a_failure_report_naming_no_message_of_the_batch_fails_the_whole_batch(stops, monkeypatch, caplog, response):
    # Given two messages on the queue, and a function whose partial batch response names none of them
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="translate-jobs-StopRequestQueue")["QueueUrl"]
    for job_id in (put_job("IN_PROGRESS"), put_job("IN_PROGRESS")):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"JobId": job_id, "AccountId": ACCOUNT}))
    monkeypatch.setattr(stops.runtime, "invoke", lambda name, event: response)
    delivery = queue_delivery(stops)
    retried: list[int] = []
    change_visibility = delivery._sqs.change_message_visibility

    def spy(**kwargs: Any) -> Any:
        retried.append(kwargs["VisibilityTimeout"])
        return change_visibility(**kwargs)

    monkeypatch.setattr(delivery._sqs, "change_message_visibility", spy)

    # When the queue is polled
    assert delivery.pump() == 2

    # Then, as Lambda does, both failed: none deleted, both visible again soon, and why is logged
    assert retried == [RETRY_DELAY_SECONDS] * 2
    assert _visible_or_in_flight(url)
    assert "names messages not in the batch" in caplog.text


@pytest.mark.parametrize("response", [None, {}, {"batchItemFailures": None}, {"batchItemFailures": []}])
def test_a_response_naming_no_failure_is_a_success_of_the_whole_batch(stops, monkeypatch, response):
    # Given two messages on the queue, and a function whose response names no failure (Lambda's rules for success)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName="translate-jobs-StopRequestQueue")["QueueUrl"]
    for job_id in (put_job("IN_PROGRESS"), put_job("IN_PROGRESS")):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"JobId": job_id, "AccountId": ACCOUNT}))
    monkeypatch.setattr(stops.runtime, "invoke", lambda name, event: response)

    # When the queue is polled
    assert queue_delivery(stops).pump() == 2

    # Then both were deleted
    assert not _visible_or_in_flight(url)


def _visible_or_in_flight(url: str) -> bool:
    attributes = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return any(int(value) for value in attributes.values())


def test_an_eventbridge_stop_request_stops_the_job(stops):
    job_id = put_job("SUBMITTED")
    result = stops.runtime.invoke("StopRequestFunction", stop_event({"JobId": job_id, "AccountId": ACCOUNT}))
    assert result == {"JobStatus": "STOP_REQUESTED"}
    assert status(job_id) == "STOP_REQUESTED"
    # Stop on a finished job through an event changes nothing, as through the API
    done = put_job("COMPLETED")
    assert stops.runtime.invoke("StopRequestFunction", stop_event({"JobId": done, "AccountId": ACCOUNT})) == {
        "JobStatus": "COMPLETED"
    }


def test_eventbridge_stop_requests_for_other_accounts_or_malformed_are_rejected_not_applied(stops):
    other = put_job("IN_PROGRESS", account=OTHER_ACCOUNT)
    assert stops.runtime.invoke("StopRequestFunction", stop_event({"JobId": other, "AccountId": OTHER_ACCOUNT})) == {
        "JobStatus": None
    }
    assert stops.runtime.invoke("StopRequestFunction", stop_event("not an object")) == {"JobStatus": None}
    assert status(other, OTHER_ACCOUNT) == "IN_PROGRESS"
    reasons = [message["attributes"]["RejectedReason"]["StringValue"] for message in drain(DLQ)]
    assert reasons == [
        f"Account {OTHER_ACCOUNT} may not send stop requests (see StopRequestAccounts).",
        "The stop request is not a JSON object.",
    ]


def test_a_stop_request_may_stop_only_jobs_of_the_account_that_sent_it(stops):
    # Given a running job of an account listed in StopRequestAccounts, which is not the stack's account
    job_id = put_job("IN_PROGRESS", account=ALLOWED_ACCOUNT)
    request = {"JobId": job_id, "AccountId": ALLOWED_ACCOUNT}
    # When a principal of the stack's account names that account, on the queue or in an event
    queued = stops.runtime.invoke("StopRequestFunction", {"Records": [sqs_record(json.dumps(request))]})
    put = stops.runtime.invoke("StopRequestFunction", stop_event(request, account=ACCOUNT))
    # Then neither stops it: each is rejected at once, saying whose jobs its sender may stop
    assert (queued, put) == ({"batchItemFailures": []}, {"JobStatus": None})
    assert status(job_id, ALLOWED_ACCOUNT) == "IN_PROGRESS"
    reasons = [message["attributes"]["RejectedReason"]["StringValue"] for message in drain(DLQ)]
    assert reasons == [
        f"The stop request names account {ALLOWED_ACCOUNT}, but it was sent to the stop-request queue, which admits only "
        f"principals of account {ACCOUNT}: a stop request may stop only its sender's own jobs.",
        f"The stop request names account {ALLOWED_ACCOUNT}, but EventBridge says it was sent by account {ACCOUNT}: "
        "a stop request may stop only its sender's own jobs.",
    ]
    # And an event the account itself put on the bus (a cross-account event) stops it, recording that account
    assert stops.runtime.invoke("StopRequestFunction", stop_event(request, account=ALLOWED_ACCOUNT)) == {
        "JobStatus": "STOP_REQUESTED"
    }
    from tests.support.stack import job_store
    from translate_jobs.domain.lifecycle import StopRequester

    requester = job_store().get(ALLOWED_ACCOUNT, job_id).stop_requested_by
    assert requester == StopRequester("EventBridge", ALLOWED_ACCOUNT, "my.orders")
