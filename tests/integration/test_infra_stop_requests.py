"""Stop requests: the bus rule admits only the allowed sources, and every stop records who asked,
on the job and in its state-change events (issue 12, "Everything else that was found")."""

import json
import uuid
from typing import Any

import boto3
import pytest

from local_stack.template import load_template
from tests.support.events import capture_events, drain, stream_delivery
from tests.support.stack import ACCOUNT, REGION, http_event, put_job, raw_item

DEFAULT_SOURCE = "translate-jobs.stop-requests"


@pytest.fixture
def stops(stack: Any, monkeypatch: Any) -> Any:
    stack.runtime.update_configuration("StopRequestFunction", STOP_REQUEST_ACCOUNTS=ACCOUNT)
    capture_events(stack)
    yield stack


def stop_rule_pattern(stack: Any, sources: str | None = None) -> dict[str, Any]:
    """The stop-request rule's pattern from template.yaml, resolved as CloudFormation would."""
    event = load_template()["Resources"]["StopRequestFunction"]["Properties"]["Events"]["StopRequestEvent"]
    pattern = dict(event["Properties"]["Pattern"])
    delimiter, value = pattern["source"]["Fn::Split"]
    pattern["source"] = stack.resolver.resolve(value).split(delimiter) if sources is None else sources.split(delimiter)
    return pattern


def deliver_through_rule(stack: Any, pattern: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put the events on the stack's bus with a rule of this pattern (moto's matcher) routing to a queue."""
    bus = stack.resolver.ref("JobEventBus")
    sqs, eventbridge = boto3.client("sqs", region_name=REGION), boto3.client("events", region_name=REGION)
    queue = f"stop-rule-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    eventbridge.put_rule(Name=queue, EventBusName=bus, EventPattern=json.dumps(pattern))
    eventbridge.put_targets(Rule=queue, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    entries = [{**event, "EventBusName": bus} for event in events]
    assert eventbridge.put_events(Entries=entries)["FailedEntryCount"] == 0
    return [message["body"] for message in drain(queue)]


def stop_entry(source: str, job_id: str, detail_type: str = "StopTextTranslationJob Request") -> dict[str, Any]:
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps({"JobId": job_id, "AccountId": ACCOUNT})}


def published(job_id: str) -> dict[str, dict[str, Any]]:
    """The state-change events published for the job, by jobStatus."""
    return {
        event["body"]["detail"]["jobStatus"]: event["body"]["detail"]
        for event in drain()
        if event["body"]["detail"]["jobId"] == job_id
    }


def test_the_rule_delivers_stop_requests_only_from_the_allowed_sources(stack):
    # Given the rule as template.yaml declares it (default StopRequestEventSources)
    pattern = stop_rule_pattern(stack)
    assert pattern["source"] == [DEFAULT_SOURCE]
    # When stop requests from the allowed source, another source, and an allowed source's other events arrive
    delivered = deliver_through_rule(
        stack,
        pattern,
        [stop_entry(DEFAULT_SOURCE, "a" * 32), stop_entry("someone.else", "b" * 32),
         stop_entry(DEFAULT_SOURCE, "c" * 32, detail_type="Something Else")],
    )
    # Then only the first reaches the target
    assert [(event["source"], event["detail"]["JobId"]) for event in delivered] == [(DEFAULT_SOURCE, "a" * 32)]


def test_several_sources_may_be_allowed(stack):
    pattern = stop_rule_pattern(stack, sources="orders.app,billing.app")
    delivered = deliver_through_rule(
        stack,
        pattern,
        [stop_entry("orders.app", "a" * 32), stop_entry("billing.app", "b" * 32), stop_entry(DEFAULT_SOURCE, "c" * 32)],
    )
    assert sorted(event["detail"]["JobId"] for event in delivered) == ["a" * 32, "b" * 32]


def test_an_api_stop_records_the_callers_arn_on_the_job_and_in_its_events(stops):
    # Given a job, and a caller whose IAM identity the authorizer reports
    job_id = put_job("IN_PROGRESS")
    event = http_event("POST", f"/jobs/{job_id}/stop")
    event["requestContext"]["authorizer"]["iam"]["userArn"] = f"arn:aws:iam::{ACCOUNT}:user/alice"
    # When that caller stops the job
    response = stops.runtime.invoke("ApiFunction", event)
    assert response["statusCode"] == 200, response
    # Then the job records who asked, through which channel
    expected = {"Channel": "API", "Principal": f"arn:aws:iam::{ACCOUNT}:user/alice"}
    item = raw_item(stops.table_name, ACCOUNT, job_id)
    assert item is not None
    assert item["StopRequestedBy"] == {"M": {key: {"S": value} for key, value in expected.items()}}
    # And its STOP_REQUESTED event carries it
    stream_delivery(stops).pump()
    assert published(job_id)["STOP_REQUESTED"]["stopRequestedBy"] == expected


def test_a_repeated_stop_keeps_the_first_requester(stops):
    job_id = put_job("IN_PROGRESS")
    for user in ("alice", "bob"):
        event = http_event("POST", "/", {"JobId": job_id}, target="StopTextTranslationJob")
        event["requestContext"]["authorizer"]["iam"]["userArn"] = f"arn:aws:iam::{ACCOUNT}:user/{user}"
        assert stops.runtime.invoke("ApiFunction", event)["statusCode"] == 200
    item = raw_item(stops.table_name, ACCOUNT, job_id)
    assert item is not None and item["StopRequestedBy"]["M"]["Principal"] == {"S": f"arn:aws:iam::{ACCOUNT}:user/alice"}


def test_a_queue_stop_records_the_queue_and_the_sender(stops):
    job_id = put_job("SUBMITTED")
    queue_arn = stops.resolver.get_att("StopRequestQueue", "Arn")
    record = {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": json.dumps({"JobId": job_id, "AccountId": ACCOUNT}),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000", "SenderId": "AROAEXAMPLE:orders"},
        "messageAttributes": {},
        "md5OfBody": "0",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    assert stops.runtime.invoke("StopRequestFunction", {"Records": [record]}) == {"batchItemFailures": []}
    stream_delivery(stops).pump()
    assert published(job_id)["STOP_REQUESTED"]["stopRequestedBy"] == {
        "Channel": "SQS", "Principal": "AROAEXAMPLE:orders", "Source": queue_arn,
    }


def test_an_event_stop_records_its_source_and_account_through_to_stopped(stops):
    # Given a job, and a stop request the rule delivered (the event as the function receives it)
    job_id = put_job("IN_PROGRESS")
    [event] = deliver_through_rule(stops, stop_rule_pattern(stops), [stop_entry(DEFAULT_SOURCE, job_id)])
    event.setdefault("account", ACCOUNT)  # moto's queue targets drop it; EventBridge gives Lambda the whole event
    # When the stop-request function handles it, and the job is then finalized
    assert stops.runtime.invoke("StopRequestFunction", event) == {"JobStatus": "STOP_REQUESTED"}
    stops.runtime.invoke("FinalizeJobFunction", {"AccountId": ACCOUNT, "JobId": job_id})
    stream_delivery(stops).pump()
    # Then both state-change events say who asked
    expected = {"Channel": "EventBridge", "Principal": ACCOUNT, "Source": DEFAULT_SOURCE}
    events = published(job_id)
    assert events["STOP_REQUESTED"]["stopRequestedBy"] == expected
    assert events["STOPPED"]["stopRequestedBy"] == expected
