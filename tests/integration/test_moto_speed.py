"""local_stack.moto_speed: moto made cheaper where `make run` felt it, its answers unchanged.

Each speed-up is checked two ways: moto's answers are the same as without it (counts, deduplication,
errors), and the work it removes is not done (a send no longer counts the queue's messages)."""

import boto3
import pytest

from tests.support.stack import REGION


def test_an_sqs_send_does_not_count_the_queue_s_messages(stack, monkeypatch):
    from moto.sqs.models import Queue

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="speed-standard")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")

    def counted(queue):
        raise AssertionError("a send counted the queue's messages")

    with monkeypatch.context() as patched:
        for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
                     "approximate_number_of_messages_not_visible"):
            patched.setattr(Queue, name, property(counted))
        sqs.send_message(QueueUrl=url, MessageBody="one more")
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}])

    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"],
            counts["ApproximateNumberOfMessagesDelayed"]) == ("5", "1", "1")


def test_a_fifo_queue_still_deduplicates_and_still_asks_for_an_id(stack):
    sqs = boto3.client("sqs", region_name=REGION)
    by_content = sqs.create_queue(QueueName="speed-content.fifo",
                                  Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=by_content, MessageBody="same", MessageGroupId="g")
    attributes = sqs.get_queue_attributes(QueueUrl=by_content, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    assert attributes["ContentBasedDeduplication"] == "true"

    by_id = sqs.create_queue(QueueName="speed-id.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError, match="MessageDeduplicationId"):
        sqs.send_message(QueueUrl=by_id, MessageBody="no id", MessageGroupId="g")
    sqs.send_message(QueueUrl=by_id, MessageBody="with id", MessageGroupId="g", MessageDeduplicationId="1")
    sqs.send_message(QueueUrl=by_id, MessageBody="with id", MessageGroupId="g", MessageDeduplicationId="1")
    assert sqs.get_queue_attributes(QueueUrl=by_id, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "1"
