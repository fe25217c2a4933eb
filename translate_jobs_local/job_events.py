"""Job state changes, read as any application on AWS would read them: a rule of its own on the stack's
job event bus (output JobEventBusName), with a queue of its own as the rule's target.

`make run`'s terminal and its console each open one (queues ``translate-jobs-terminal-<API port>`` and
``translate-jobs-console-<API port>``, so two `make run`s sharing an emulator keep apart): they see the
"Translate TextTranslationJob State Change" events JobEventsFunction publishes, and nothing else of the
service. Delivery is at least once, so events are de-duplicated on ``detail.eventId``.
"""

import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from local_stack.template import resources_of_type
from local_stack.timer import Timer

if TYPE_CHECKING:
    from local_stack.provision import Stack

LOG = logging.getLogger(__name__)
SOURCE = "translate-jobs"  # translate_jobs.events.state_changes.SOURCE (and translate_jobs_local.app.STACK_SOURCE)
DETAIL_TYPE = "Translate TextTranslationJob State Change"
_REMEMBERED_IDS = 10_000  # event ids kept for de-duplication (a redelivery comes soon after the first)


def job_event_bus(stack: "Stack") -> str:
    """The name of the bus JobEventsFunction publishes to (the template's one AWS::Events::EventBus)."""
    return str(stack.resolver.ref(next(iter(resources_of_type(stack.template, "AWS::Events::EventBus")))))


@dataclass
class JobEventFeed:
    """One consumer's rule and queue. ``sqs`` and ``events`` are boto3 clients of the emulator."""

    sqs: Any
    events: Any
    bus: str
    name: str  # the rule's and the queue's
    account: str | None = None  # only this account's jobs (None: every account's)
    _url: str = ""
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict)

    def open(self) -> "JobEventFeed":
        self._url = str(self.sqs.create_queue(QueueName=self.name)["QueueUrl"])
        arn = self.sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern: dict[str, Any] = {"source": [SOURCE], "detail-type": [DETAIL_TYPE]}
        if self.account:
            pattern["detail"] = {"accountId": [self.account]}
        self.events.put_rule(Name=self.name, EventBusName=self.bus, EventPattern=json.dumps(pattern))
        self.events.put_targets(Rule=self.name, EventBusName=self.bus, Targets=[{"Id": self.name, "Arn": arn}])
        return self

    def receive(self, most: int = 100, wait: int = 0) -> list[dict[str, Any]]:
        """The events that arrived since the last call (at most ``most``), oldest first: each the event's
        ``detail`` with the event's ``time`` added. With none there, waits up to ``wait`` seconds for one (SQS
        long polling: no busy polling, and an event is seen as soon as it arrives)."""
        received: list[dict[str, Any]] = []
        while len(received) < most:
            messages = self.sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0 if received else wait).get("Messages", [])
            if not messages:
                break
            self.sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(messages)])
            for message in messages:
                detail = self._detail(message["Body"])
                if detail is not None:
                    received.append(detail)
        return received

    def _detail(self, body: str) -> dict[str, Any] | None:
        try:
            event = json.loads(body)
            detail = dict(event["detail"])
            event_id = str(detail["eventId"])
        except (ValueError, KeyError, TypeError):
            return None  # not an event of JobEventsFunction's shape: nothing to show
        if event_id in self._seen:
            return None
        self._seen[event_id] = None
        if len(self._seen) > _REMEMBERED_IDS:
            self._seen.popitem(last=False)
        return {**detail, "time": event.get("time")}

    def close(self) -> None:
        """Remove the rule, its target and the queue (an emulator that outlives `make run` keeps none of them)."""
        for remove in (
            lambda: self.events.remove_targets(Rule=self.name, EventBusName=self.bus, Ids=[self.name]),
            lambda: self.events.delete_rule(Name=self.name, EventBusName=self.bus),
            lambda: self.sqs.delete_queue(QueueUrl=self._url),
        ):
            with contextlib.suppress(Exception):  # best effort: the emulator may already be gone
                remove()


class Repeating(Timer):
    """``work()`` every ``interval`` seconds on a Timer (and thread) of its own until ``stop()``, then ``close()``.
    A round that fails is a warning on `make run`'s terminal, without the Timer's traceback; the next one runs."""

    def __init__(self, name: str, interval: float, work: Callable[[], None], close: Callable[[], None]) -> None:
        super().__init__(name)
        self.close = close

        def round_() -> None:
            try:
                work()
            except Exception as error:  # noqa: BLE001 - keep going; the next round retries
                LOG.warning("%s: %s", name, error)

        self.every(interval, round_)
        self.start()

    def stop(self) -> None:
        super().stop()
        self.close()
