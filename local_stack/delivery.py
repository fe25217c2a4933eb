"""What Lambda's event source mappings do, done locally.

moto 5.2.5 delivers event source mappings through ``LambdaFunction.invoke`` (Docker only), synchronously
inside the write or send that produced the record, one SQS message per invocation, ignoring
ReportBatchItemFailures, bisecting, retries and on-failure destinations. So none is created, and instead:

* ``StreamDelivery`` reads a table's stream and invokes its function with Lambda's event shape. As Lambda
  does, it retries from the first failed record (a partial batch response naming no record of the batch
  fails all of it), splits a batch in two when the function fails (BisectBatchOnFunctionError), and after
  MaximumRetryAttempts describes the records on the OnFailure queue, logs why and goes on;
* ``QueueDelivery`` polls a queue, invokes its function with up to BatchSize messages, deletes those not
  in ``batchItemFailures`` (one naming no message of the batch fails all of it) and makes the others
  visible again soon (AWS waits for the visibility timeout); moto applies the queue's RedrivePolicy on receive.

``start_local_delivery`` pumps them on a thread for ``make run``; tests call ``pump()``.
"""

import functools
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from local_stack.provision import Stack, put_rule
from local_stack.runtime import FunctionError
from local_stack.timer import Timer

log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 1  # a failed SQS message is visible again after this long (AWS: the visibility timeout)


@dataclass
class StreamDelivery:
    stack: Stack
    function: str
    table: str
    batch_size: int = 100
    max_retries: int = 10
    on_failure: str | None = None  # queue ARN
    region: str = "us-east-1"
    bisect: bool = False
    starting_position: str = "TRIM_HORIZON"  # or LATEST
    report_item_failures: bool = True  # FunctionResponseTypes: [ReportBatchItemFailures]
    pending: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    _bisected: int = 0  # the batch limit while a failing batch is split in halves (0: none)
    # Where the reader is in each shard, kept across restarts (local_stack.persistence.LocalState: cursor, set_cursor),
    # as Lambda keeps an event source mapping's position: a restart goes on after the last record delivered.
    cursors: Any = None
    _iterators: dict[str, str] = field(default_factory=dict)  # shard -> its next iterator
    _shard_of: dict[str, str] = field(default_factory=dict)  # a pending record's sequence number -> its shard

    # Clients made once per delivery (creating one costs ~100 ms of CPU: not every poll).
    @functools.cached_property
    def _streams(self) -> Any:
        # botocore 1.44 sends stream-ARN requests to <account>.streams-ddb..., which moto does not serve.
        return boto3.client("dynamodbstreams", region_name=self.region, config=Config(account_id_endpoint_mode="disabled"))

    @functools.cached_property
    def _stream_arn(self) -> str:
        table = boto3.client("dynamodb", region_name=self.region).describe_table(TableName=self.table)["Table"]
        return str(table["LatestStreamArn"])

    @functools.cached_property
    def _sqs(self) -> Any:  # made at the first failure described on OnFailure, not for every delivery
        return boto3.client("sqs", region_name=self.region)

    def _read(self) -> None:
        streams = self._streams
        for shard in streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]:
            # a shard seen for the first time: read on where it was left (a restart), else from the mapping's position
            if shard["ShardId"] not in self._iterators:
                delivered = self.cursors.cursor(self._cursor_key(shard["ShardId"])) if self.cursors else None
                position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": delivered} if delivered
                            else {"ShardIteratorType": self.starting_position})
                self._iterators[shard["ShardId"]] = streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"], **position
                )["ShardIterator"]
        for shard, iterator in list(self._iterators.items()):
            while iterator:
                response = streams.get_records(ShardIterator=iterator, Limit=1000)
                iterator = self._iterators[shard] = response.get("NextShardIterator")
                records = response.get("Records", [])
                for record in records:
                    created = record["dynamodb"].get("ApproximateCreationDateTime")
                    if hasattr(created, "timestamp"):
                        record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
                    self._shard_of[record["dynamodb"]["SequenceNumber"]] = shard
                    self.pending.append({**record, "eventSourceARN": self._stream_arn})
                if not records:
                    break

    def pump(self) -> int:
        """Deliver every record written so far (or stop at a failure, to retry on the next pump)."""
        self._read()
        delivered = 0
        while self.pending:
            batch = self.pending[: min(self.batch_size, self._bisected or self.batch_size)]
            sequence = [record["dynamodb"]["SequenceNumber"] for record in batch]
            try:
                response = self.stack.runtime.invoke(self.function, {"Records": batch})
                failed = reported_failures(response) if self.report_item_failures else set()
                first = min((sequence.index(number) for number in failed if number in sequence), default=len(batch))
                if not failed <= set(sequence):
                    first, reason = 0, f"its response is malformed or names records not in the batch: {failed}"
                else:
                    reason = f"it reported record {sequence[first]} failed" if failed else ""
            except Exception as error:  # noqa: BLE001 - Lambda treats any failure of the invocation alike
                log.warning("%s failed on %d stream records: %s", self.function, len(batch), error)
                if self.bisect and len(batch) > 1:
                    self._bisected = len(batch) // 2  # retried as two halves; not counted as a retry
                    continue
                first, reason = 0, f"the function failed: {error}"
            if first < len(batch):
                self.attempts += 1
                if self.max_retries < 0 or self.attempts <= self.max_retries:  # -1: until the record expires
                    self._done(first)  # the records before the first failure
                    return delivered + first  # retried from the failed record on the next pump
                self._send_to_on_failure(self.pending[first:len(batch)], reason)
            self._done(len(batch))
            delivered += first
            self.attempts, self._bisected = 0, 0
        return delivered

    def _done(self, count: int) -> None:
        """The first ``count`` pending records are done (delivered, or described to the OnFailure destination):
        a restart reads on after the last of them, in its shard."""
        last = self.pending[count - 1]["dynamodb"]["SequenceNumber"] if count else None
        if self.cursors and last in self._shard_of:
            self.cursors.set_cursor(self._cursor_key(self._shard_of[last]), last)
        for record in self.pending[:count]:
            self._shard_of.pop(record["dynamodb"]["SequenceNumber"], None)
        del self.pending[:count]

    def _cursor_key(self, shard: str) -> str:
        return f"{self._stream_arn}#{shard}"

    def _send_to_on_failure(self, records: list[dict[str, Any]], reason: str) -> None:
        """What Lambda sends to an OnFailure destination: a description of the batch, not the records."""
        numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        log.error("%s: dropped %d stream records (sequence numbers %s..%s) after %d retries, because %s; %s",
                  self.function, len(records), numbers[0], numbers[-1], self.max_retries, reason,
                  f"described on {self.on_failure}" if self.on_failure else "no OnFailure destination")
        if not self.on_failure:
            return
        info = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self.max_retries + 1},
            "DDBStreamBatchInfo": {
                "streamArn": self._stream_arn, "startSequenceNumber": numbers[0], "endSequenceNumber": numbers[-1],
                "batchSize": len(records),
            },
        }
        try:
            url = self._sqs.get_queue_url(QueueName=self.on_failure.rsplit(":", 1)[1])["QueueUrl"]
            self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(info))
        except Exception:  # noqa: BLE001 - the records are dropped either way; the stream goes on
            log.exception("%s: could not describe the dropped records on %s", self.function, self.on_failure)


@dataclass
class QueueDelivery:
    stack: Stack
    function: str
    queue_arn: str
    batch_size: int = 10
    region: str = "us-east-1"
    report_item_failures: bool = True  # FunctionResponseTypes: [ReportBatchItemFailures]

    @functools.cached_property
    def _sqs(self) -> Any:
        return boto3.client("sqs", region_name=self.region)

    def pump(self) -> int:
        """One receive and one invocation; returns how many messages it received."""
        sqs = self._sqs
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
        batch = {message["MessageId"] for message in messages}
        try:
            response = self.stack.runtime.invoke(self.function, {"Records": records})
            failed = reported_failures(response) if self.report_item_failures else set()
            if not failed <= batch:  # unreadable, or an identifier missing, empty or not of the batch: all failed
                log.warning("%s failed on %d messages: its response is malformed or names messages not in the batch: %s",
                            self.function, len(batch), failed - batch)
                failed = batch
        except FunctionError as error:
            log.warning("%s failed: %s", self.function, error)
            failed = batch
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_DELAY_SECONDS
                )
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def reported_failures(response: Any) -> set[Any]:
    """The ids (message ids, sequence numbers) a partial batch response names, for queues and streams alike. Lambda's
    rules: no response, or a null or empty list, is success; one it cannot read fails the whole batch ({None}: no
    record of it)."""
    try:
        return {item.get("itemIdentifier") for item in (response or {}).get("batchItemFailures") or []}
    except (AttributeError, TypeError):
        return {None}


def deliveries(stack: Stack, region: str = "us-east-1", cursors: Any = None) -> list[Any]:
    """One delivery per AWS::Lambda::EventSourceMapping of the template: a table's stream or a queue."""
    found: list[Any] = []
    for props in stack.resources("AWS::Lambda::EventSourceMapping").values():
        function, source = stack.runtime.find(props["FunctionName"]).logical_id, str(props["EventSourceArn"])
        reports = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        if source.split(":")[2] == "dynamodb":
            table = stack.logical_id("AWS::DynamoDB::Table", "StreamArn", source)
            found.append(StreamDelivery(
                stack, function, stack.resolver.refs[table], batch_size=int(props.get("BatchSize", 100)),
                max_retries=int(props.get("MaximumRetryAttempts", -1)),
                on_failure=props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"), region=region,
                bisect=props.get("BisectBatchOnFunctionError") in (True, "true", "True"),
                starting_position=props.get("StartingPosition", "TRIM_HORIZON"), report_item_failures=reports,
                cursors=cursors,
            ))
        elif source.split(":")[2] == "sqs":
            found.append(QueueDelivery(stack, function, source, int(props.get("BatchSize", 10)), region, reports))
        else:
            log.error("local delivery: %s's event source %s is not delivered locally", function, source)
    return found


def create_local_events_queue(stack: Stack, region: str = "us-east-1") -> str | None:
    """The application's queue for reading its events locally (App.events_queue), with its rule; its URL."""
    spec = stack.app.events_queue
    if spec is None:
        return None
    sqs = boto3.client("sqs", region_name=region)
    url = str(sqs.create_queue(QueueName=spec.name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = {"EventBusName": stack.resolver.ref(spec.bus), "EventPattern": spec.pattern, "Targets": [{"Id": "local", "Arn": arn}]}
    put_rule(boto3.client("events", region_name=region), spec.name, rule)
    return url


def start_local_delivery(stack: Stack, region: str = "us-east-1", interval: float = 0.5, cursors: Any = None) -> Timer:
    """Every delivery pumped on a background thread (what Lambda's pollers do on AWS); ``cursors`` keeps the
    streams' positions across restarts (local_stack.persistence)."""
    create_local_events_queue(stack, region)
    timer = Timer("local-event-delivery")
    for delivery in deliveries(stack, region, cursors):
        timer.every(interval, delivery.pump)
    return timer.start()
