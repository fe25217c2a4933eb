"""What Lambda's event source mappings do, done locally: the emulator's line for events.

moto 5.2.5 has event source mappings, but it delivers through ``LambdaFunction.invoke`` (Docker
only), synchronously inside the DynamoDB write or SQS send that produced the record, one SQS
message per invocation, ignoring ``ReportBatchItemFailures``, bisecting, retries and on-failure
destinations. So the local stack creates no event source mappings and instead:

* ``StreamDelivery`` reads the table's stream (dynamodbstreams GetRecords) and invokes the
  stream's function with Lambda's event shape. As Lambda does, it retries from the first failed
  record (partial batch response; a response naming no record of the batch fails all of it), splits
  a batch in two when the function itself fails (BisectBatchOnFunctionError), and after
  ``MaximumRetryAttempts`` describes the records on the OnFailure queue and goes on: a record the
  function cannot handle never blocks the stream. Each record it gives up on is logged with why;
* ``QueueDelivery`` polls a queue (ReceiveMessage), invokes its function with up to ``BatchSize``
  messages, deletes the ones not reported in ``batchItemFailures`` and makes the others visible
  again after a short delay (AWS waits for the visibility timeout); the queue's RedrivePolicy
  (moto applies it on receive) moves a message that keeps failing to its dead-letter queue;
* ``DeliveryLoop`` runs both on a background thread for ``make run``; tests call ``pump()``.

EventBridge rules, schedules and Step Functions' status events are local_stack.eventbridge's.
"""

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from local_stack.provision import Stack
from local_stack.runtime import FunctionError
from local_stack.template import resources_of_type

log = logging.getLogger(__name__)
LOCAL_EVENTS_QUEUE = "translate-jobs-local-events"
RETRY_DELAY_SECONDS = 1  # a failed SQS message is visible again after this long (AWS: the visibility timeout)


def _event_sources(stack: Stack, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(function logical id, resolved event properties) for every function event of this type."""
    found = []
    for name, resource in resources_of_type(stack.template, "AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == kind:
                found.append((name, stack.resolver.resolve(event["Properties"])))
    return found


class _Clients:
    """AWS clients made once per delivery (creating one costs ~100 ms of CPU: not every poll)."""

    region: str
    _clients: dict[str, Any]

    def client(self, service: str) -> Any:
        if service not in self._clients:
            # botocore 1.44 sends stream-ARN requests to <account>.streams-ddb..., which moto does not serve.
            config = Config(account_id_endpoint_mode="disabled") if service == "dynamodbstreams" else None
            self._clients[service] = boto3.client(service, region_name=self.region, config=config)
        return self._clients[service]


@dataclass
class StreamDelivery(_Clients):
    stack: Stack
    function: str
    table: str
    batch_size: int = 100
    max_retries: int = 10
    on_failure: str | None = None  # queue ARN
    region: str = "us-east-1"
    bisect: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    _bisected: int = 0  # the batch limit while a failing batch is split in halves (0: none)
    # Where the reader is, kept across restarts (local_stack.persistence.LocalState: cursor, set_cursor), as Lambda
    # keeps an event source mapping's position: a restart goes on after the last record delivered.
    cursors: Any = None
    _iterator: str | None = None
    _stream_arn: str = ""
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def _read(self) -> None:
        streams = self.client("dynamodbstreams")
        if self._iterator is None:
            self._stream_arn = self.client("dynamodb").describe_table(TableName=self.table)["Table"][
                "LatestStreamArn"
            ]
            shard = streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
            delivered = self.cursors.cursor(self._stream_arn) if self.cursors else None
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": delivered} if delivered else {
                "ShardIteratorType": "TRIM_HORIZON"}
            self._iterator = streams.get_shard_iterator(StreamArn=self._stream_arn, ShardId=shard, **position)["ShardIterator"]
        while True:
            response = streams.get_records(ShardIterator=self._iterator, Limit=1000)
            self._iterator = response["NextShardIterator"]
            records = response.get("Records", [])
            for record in records:
                created = record["dynamodb"].get("ApproximateCreationDateTime")
                if hasattr(created, "timestamp"):
                    record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
                self.pending.append({**record, "eventSourceARN": self._stream_arn})
            if not records:
                return

    def pump(self) -> int:
        """Deliver every record written so far (or stop at a failure, to retry on the next pump)."""
        self._read()
        delivered = 0
        while self.pending:
            batch = self.pending[: min(self.batch_size, self._bisected or self.batch_size)]
            sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
            try:
                response = self.stack.runtime.invoke(self.function, {"Records": batch})
                failed = [item.get("itemIdentifier") for item in (response or {}).get("batchItemFailures", [])]
                first = min((sequence.index(number) for number in failed if number in sequence), default=len(batch))
                if failed and (first == len(batch) or not all(number in sequence for number in failed)):
                    first, reason = 0, f"its response names records not in the batch: {failed}"
                else:
                    reason = f"it reported record {sequence[first]} failed" if failed else ""
            except Exception as error:  # noqa: BLE001 - Lambda treats any failure of the invocation alike
                log.warning("%s failed on %d stream records: %s", self.function, len(batch), error)
                if self.bisect and len(batch) > 1:
                    self._bisected = len(batch) // 2  # retried as two halves; not counted as a retry
                    continue
                first, reason = 0, f"the function failed: {error}"
            if first == len(batch):
                self._delivered(sequence[-1])
                del self.pending[: len(batch)]
                delivered += len(batch)
                self.attempts, self._bisected = 0, 0
                continue
            if first:
                self._delivered(sequence[first - 1])
            del self.pending[:first]  # the records before the first failure are done
            delivered += first
            self.attempts += 1
            if self.attempts <= self.max_retries:
                return delivered  # retried from the failed record on the next pump
            rest = len(batch) - first
            self._send_to_on_failure(self.pending[:rest], reason)
            self._delivered(sequence[-1])
            del self.pending[:rest]
            self.attempts, self._bisected = 0, 0
        return delivered

    def _delivered(self, sequence_number: str) -> None:
        if self.cursors:
            self.cursors.set_cursor(self._stream_arn, sequence_number)

    def _send_to_on_failure(self, records: list[dict[str, Any]], reason: str) -> None:
        """What Lambda sends to an OnFailure destination: a description of the batch, not the records."""
        numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        log.error("%s: dropped %d stream records (sequence numbers %s..%s) after %d retries, because %s; %s",
                  self.function, len(records), numbers[0], numbers[-1], self.max_retries, reason,
                  f"described on {self.on_failure}" if self.on_failure else "no OnFailure destination")
        if not self.on_failure:
            return
        try:
            self._describe_on_failure(self.on_failure, records)
        except Exception:  # noqa: BLE001 - the records are dropped either way; the stream goes on
            log.exception("%s: could not describe the dropped records on %s", self.function, self.on_failure)

    def _describe_on_failure(self, queue_arn: str, records: list[dict[str, Any]]) -> None:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        info = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self.max_retries + 1},
            "DDBStreamBatchInfo": {
                "streamArn": self._stream_arn,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(records),
            },
        }
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(info))


@dataclass
class QueueDelivery(_Clients):
    stack: Stack
    function: str
    queue_arn: str
    batch_size: int = 10
    region: str = "us-east-1"
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def pump(self) -> int:
        """One receive and one invocation; returns how many messages it received."""
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=self.queue_arn.rsplit(":", 1)[1])["QueueUrl"]
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(self.batch_size, 10), AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {
                    key: {"stringValue": value.get("StringValue"), "dataType": value["DataType"]}
                    for key, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": self.queue_arn,
                "awsRegion": self.region,
            }
            for message in messages
        ]
        try:
            response = self.stack.runtime.invoke(self.function, {"Records": records})
            failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
        except FunctionError as error:
            log.warning("%s failed: %s", self.function, error)
            failed = {message["MessageId"] for message in messages}
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_DELAY_SECONDS
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def deliveries(stack: Stack, region: str = "us-east-1", cursors: Any = None) -> list[Any]:
    """One delivery per DynamoDB and SQS event of the template's functions."""
    found: list[Any] = []
    for function, props in _event_sources(stack, "DynamoDB"):
        table = next(name for name in resources_of_type(stack.template, "AWS::DynamoDB::Table"))
        found.append(
            StreamDelivery(
                stack,
                function,
                stack.resolver.ref(table),
                batch_size=int(props.get("BatchSize", 100)),
                max_retries=int(props.get("MaximumRetryAttempts", 10)),
                on_failure=props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
                region=region,
                bisect=props.get("BisectBatchOnFunctionError") in (True, "true", "True"),
                cursors=cursors,
            )
        )
    for function, props in _event_sources(stack, "SQS"):
        found.append(QueueDelivery(stack, function, props["Queue"], int(props.get("BatchSize", 10)), region))
    return found


def create_local_events_queue(stack: Stack, region: str = "us-east-1") -> str:
    """A queue that receives every event on the stack's bus, so a user can read them locally."""
    sqs = boto3.client("sqs", region_name=region)
    events = boto3.client("events", region_name=region)
    url = str(sqs.create_queue(QueueName=LOCAL_EVENTS_QUEUE)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = stack.resolver.ref(next(iter(resources_of_type(stack.template, "AWS::Events::EventBus"))))
    events.put_rule(Name=LOCAL_EVENTS_QUEUE, EventBusName=bus, EventPattern=json.dumps({"source": ["translate-jobs"]}))
    events.put_targets(Rule=LOCAL_EVENTS_QUEUE, EventBusName=bus, Targets=[{"Id": "local", "Arn": arn}])
    return url


class DeliveryLoop:
    """Pumps every delivery on a background thread (what Lambda's pollers do on AWS)."""

    def __init__(self, items: list[Any], interval: float = 0.5) -> None:
        self.items = items
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-event-delivery", daemon=True)

    def start(self) -> "DeliveryLoop":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.is_set():
            for item in self.items:
                try:
                    item.pump()
                except Exception:  # noqa: BLE001 - keep delivering; the next pump retries
                    log.exception("local delivery to %s failed", item.function)
            self._stopping.wait(self.interval)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def start_local_delivery(stack: Stack, region: str = "us-east-1", cursors: Any = None) -> DeliveryLoop:
    create_local_events_queue(stack, region)
    return DeliveryLoop(deliveries(stack, region, cursors)).start()
