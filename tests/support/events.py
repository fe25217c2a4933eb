"""Shared by the tests of the event-driven functions (events out, stop requests in, reconciler)."""

import json
from typing import Any

import boto3

from local_stack.delivery import QueueDelivery, StreamDelivery, create_local_events_queue, deliveries
from tests.support.stack import REGION
from translate_jobs_local.app import LOCAL_EVENTS_QUEUE


def stream_delivery(stack: Any) -> StreamDelivery:
    return next(item for item in deliveries(stack, REGION) if isinstance(item, StreamDelivery))


def queue_delivery(stack: Any) -> QueueDelivery:
    return next(item for item in deliveries(stack, REGION) if isinstance(item, QueueDelivery))


def capture_events(stack: Any) -> str:
    """Every event on the stack's bus also lands in translate-jobs-local-events (as in `make run`)."""
    url = create_local_events_queue(stack, REGION)
    assert url is not None, "the App handed in declares no events queue"
    return url


def drain(queue: str = LOCAL_EVENTS_QUEUE) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            body = message["Body"]
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body
            found.append({"body": parsed, "attributes": message.get("MessageAttributes", {})})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def transitions(events: list[dict[str, Any]], job_id: str) -> list[tuple[str | None, str]]:
    details = [event["body"]["detail"] for event in events if event["body"]["detail"]["jobId"] == job_id]
    return [(detail["previousJobStatus"], detail["jobStatus"]) for detail in details]
