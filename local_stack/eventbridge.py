"""EventBridge, Lambda's asynchronous invocation and AWS services' events, done locally.

moto 5.2.5's EventBridge stores buses, rules and targets; its PutEvents sends matching events to SQS (and
logs, archives, other buses) inside the call. It has no Lambda targets (PutEvents fails on one), ignores a
rule's State, a target's RetryPolicy and DeadLetterConfig, leaves ``account`` out of the event it sends,
matches arrays of objects and booleans unlike EventBridge (local_stack.event_patterns) and runs no
schedule; its Step Functions publish no status events. ``EventRouter.install`` hooks moto's backends in
this process (no polling), and the router's thread:

* delivers an event to each target of an enabled rule it matches, after PutEvents returns (as on AWS): to
  SQS as EventBridge sends it (or the target's Input, InputPath); to Lambda asynchronously, retried per the
  function's EventInvokeConfig, then sent to its DeadLetterQueue. A failed delivery (an unknown queue or
  function) is retried with backoff per the target's RetryPolicy, then sent to its DeadLetterConfig queue
  with EventBridge's attributes, else logged and dropped;
* fires ``rate(...)`` rules (not cron), stretched by ``LOCAL_SCHEDULE_SCALE`` (0.01: a 5-minute rate every
  3 s; retry backoff too);
* puts Step Functions' status changes (``aws.states``) on the default bus, and the events an AWS service
  would publish for the application's own (App.mirrors: AWS reserves ``aws.*`` sources to itself).
"""

import copy
import datetime
import functools
import json
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from local_stack.event_patterns import EventPattern
from local_stack.moto_patches import replace, wrap
from local_stack.provision import Stack
from local_stack.runtime import FunctionError
from local_stack.timer import Timer

log = logging.getLogger(__name__)

SCALE_VARIABLE = "LOCAL_SCHEDULE_SCALE"
LAMBDA_ASYNC_RETRY_DELAYS = (60, 120)  # seconds before Lambda's 1st and 2nd retry of an async invoke
DEFAULT_RETRY_POLICY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
STATES_DETAIL_TYPE = "Step Functions Execution Status Change"


def time_scale() -> float:
    raw = os.environ.get(SCALE_VARIABLE, "1")
    try:
        scale = float(raw)
    except ValueError:
        scale = 0.0
    if not math.isfinite(scale) or scale <= 0:  # nan and inf are no scale either
        raise ValueError(f"error: {SCALE_VARIABLE} must be a positive number, not {raw!r}")
    return scale


# ---------- schedules ----------

class Schedule:
    """A ScheduleExpression: rate(N unit). AWS's cron(...) is refused (logged): no template here has one."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        if expression.strip().startswith("cron("):
            raise ValueError(f"cron schedules are not run locally (only rate(...)): {expression}")
        rate = re.fullmatch(r"rate\(\s*(\d+) \s*(minute|hour|day)s?\s*\)", expression.strip())
        if not rate or int(rate[1]) < 1:
            raise ValueError(f"Parameter ScheduleExpression is not valid: {expression}")
        self.period = int(rate[1]) * {"minute": 60, "hour": 3600, "day": 86400}[rate[2]]


# ---------- the router ----------

class EventRouter(Timer):
    """Routes events put on this process's moto EventBridge to their targets (see the module doc), on its own thread."""

    def __init__(self, stack: Stack, *, clock: Callable[[], float] = time.monotonic, scale: float | None = None) -> None:
        super().__init__("local-eventbridge", clock)
        self.stack = stack
        self.mirrors = [(stack.resolver.ref(mirror.bus), mirror) for mirror in stack.app.mirrors]
        self.scale = time_scale() if scale is None else scale
        self._schedules: dict[tuple[str, str, str], Schedule] = {}  # (account, region, rule) -> its current schedule

    # -- installing on moto --

    def install(self) -> Callable[[], None]:
        """Hook moto's EventBridge and Step Functions in this process (local_stack.patches.EVENT_ROUTER); returns undo."""
        from moto.events.models import EventsBackend, Rule, events_backends
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

        self._send_original = Rule.send_to_targets
        self._events_backends = events_backends

        def send_to_targets(rule: Any, event: dict[str, Any], transform_input: bool = True) -> None:
            self.route(rule, event)

        def put_events(original: Any, backend: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            entries = original(backend, events)
            mirrored = [mirror for event, entry in zip(events, entries, strict=True) if "EventId" in entry
                        for mirror in self.mirrored(event)]
            if mirrored:
                original(backend, mirrored)
            return entries

        def put_rule(original: Any, *args: Any, **kwargs: Any) -> Any:
            rule = original(*args, **kwargs)
            self.schedule(rule)
            return rule

        def start(original: Any, execution: Any) -> None:
            self.publish_execution_status(execution, "RUNNING")
            original(execution)

        def terminated(original: Any, communication: Any) -> None:
            original(communication)
            self.publish_execution_status(communication.execution, communication.execution.exec_status.value)

        undo = replace((Rule, "send_to_targets", send_to_targets), wrap(EventsBackend, "put_events", put_events),
                       wrap(EventsBackend, "put_rule", put_rule), wrap(Execution, "start", start),
                       wrap(BaseExecutionWorkerCommunication, "terminated", terminated))
        for regions in events_backends.values():  # rules put before these hooks
            for backend in regions.values():
                for rule in backend.event_buses["default"].rules.values():  # the only bus a schedule can be on
                    self.schedule(rule)
        return undo.close

    # -- routing --

    def route(self, rule: Any, event: dict[str, Any]) -> None:
        """A rule saw an event put on its bus: queue one delivery per target if it is enabled and matches."""
        if rule.state != "ENABLED" or (rule.scheduled_expression and not rule.event_pattern.get_pattern()):
            return  # moto sends to disabled rules, and to scheduled rules (an empty pattern) on every event
        if EventPattern(rule.event_pattern.dump(), rule.event_pattern.get_pattern()).matches_event(cast(Any, event)):
            self._to_targets(rule, event)

    def _to_targets(self, rule: Any, event: dict[str, Any]) -> None:
        for target in list(rule.targets):
            if "InputTransformer" in target:  # nothing here uses one: not delivered rather than delivered unlike AWS
                log.error("EventBridge: event %s not delivered to %s: InputTransformer is not run locally",
                          event["id"], target["Arn"])
                continue
            self.call_later(0, functools.partial(self._deliver, rule.arn, dict(target), event, self.clock()))

    def _deliver(self, rule_arn: str, target: dict[str, Any], event: dict[str, Any], first_try: float, attempt: int = 0) -> None:
        try:
            self._send(rule_arn, target, event)
            return
        except Exception as error:  # noqa: BLE001 - EventBridge retries any failed delivery
            failure = error
        policy = {**DEFAULT_RETRY_POLICY, **target.get("RetryPolicy", {})}
        age = self.clock() - first_try
        if attempt < int(policy["MaximumRetryAttempts"]) and age < int(policy["MaximumEventAgeInSeconds"]):
            delay = min(2.0**attempt, 300.0) * self.scale
            log.warning("EventBridge: delivery of event %s to %s failed (%s); retry %d in %.1f s",
                        event["id"], target["Arn"], failure, attempt + 1, delay)
            self.call_later(delay, lambda: self._deliver(rule_arn, target, event, first_try, attempt + 1))
            return
        condition = "MaximumRetryAttempts" if attempt >= int(policy["MaximumRetryAttempts"]) else "MaximumEventAgeInSeconds"
        dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
        log.error("EventBridge: event %s to %s dropped after %d attempts (%s: %s)%s", event["id"], target["Arn"],
                  attempt + 1, condition, failure, f"; sent to {dead_letter}" if dead_letter else "")
        if dead_letter:
            attributes = {
                "RULE_ARN": rule_arn, "TARGET_ARN": target["Arn"], "ERROR_CODE": type(failure).__name__,
                "ERROR_MESSAGE": str(failure)[:1024], "EXHAUSTED_RETRY_CONDITION": condition, "RETRY_ATTEMPTS": str(attempt),
            }
            self._send_sqs(dead_letter, json.dumps(as_sent(event)), attributes)

    def _send(self, rule_arn: str, target: dict[str, Any], event: dict[str, Any]) -> None:
        service = target["Arn"].split(":")[2]
        if service == "sqs":
            payload = target_input(target, event)
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            self._send_sqs(target["Arn"], payload if isinstance(payload, str) else json.dumps(payload), group_id=group)
        elif service == "lambda":
            function = self.stack.runtime.find(target["Arn"]).logical_id  # an unknown function fails the delivery
            payload = target_input(target, event)
            self.call_later(0, lambda: self._invoke_async(function, payload))  # accepted: its failures are Lambda's
        else:  # logs, archives, other buses: moto's own delivery, run here rather than inside PutEvents
            account, region = rule_arn.split(":")[4], rule_arn.split(":")[3]
            rule = copy.copy(next(r for bus in self._events_backends[account][region].event_buses.values()
                                  for r in bus.rules.values() if r.arn == rule_arn))
            rule.targets = [target]
            self._send_original(rule, cast(Any, event))

    def _send_sqs(self, queue_arn: str, body: str, attributes: dict[str, str] | None = None,
                  group_id: str | None = None) -> None:
        from moto.sqs.models import sqs_backends

        _, _, _, region, account, queue = queue_arn.split(":", 5)
        message_attributes = {key: {"DataType": "String", "StringValue": value} for key, value in (attributes or {}).items()}
        sqs_backends[account][region].send_message(queue_name=queue, message_body=body,
                                                    message_attributes=message_attributes or None, group_id=group_id)

    # -- Lambda's asynchronous invocation --

    def _invoke_async(self, function: str, payload: Any, attempt: int = 0) -> None:
        try:
            self.stack.runtime.invoke(function, payload)
            return
        except FunctionError as error:
            failure = error
        spec = self.stack.runtime.find(function)
        retries = min(spec.async_retries, len(LAMBDA_ASYNC_RETRY_DELAYS))
        if attempt < retries:
            log.warning("Lambda: async invoke of %s failed (%s); retry %d of %d", function, failure, attempt + 1, retries)
            self.call_later(LAMBDA_ASYNC_RETRY_DELAYS[attempt] * self.scale,
                            lambda: self._invoke_async(function, payload, attempt + 1))
            return
        dead_letter = spec.dead_letter_arn
        log.error("Lambda: async invoke of %s failed %d times (%s); event %s%s", function, attempt + 1, failure,
                  "sent to " + dead_letter if dead_letter else "dropped (the function has no DeadLetterQueue)",
                  "" if dead_letter else f": {json.dumps(payload)[:500]}")
        if dead_letter:
            attributes = {"RequestID": str(uuid.uuid4()), "ErrorCode": "200", "ErrorMessage": str(failure)[:1024]}
            self._send_sqs(dead_letter, json.dumps(payload), attributes)

    # -- schedules --

    def schedule(self, rule: Any) -> None:
        """Fire a scheduled rule on its schedule (scaled); a later put_rule of the same name replaces it."""
        if not rule.scheduled_expression:
            return
        try:
            schedule = Schedule(rule.scheduled_expression)
        except ValueError as error:
            log.error("EventBridge: rule %s will not run locally: %s", rule.name, error)
            return
        key = (rule.account_id, rule.region_name, rule.name)
        self._schedules[key] = schedule

        def tick() -> None:
            if self._schedules.get(key) is not schedule:
                return  # the rule was replaced
            current = self._events_backends[rule.account_id][rule.region_name].event_buses["default"].rules.get(rule.name)
            if current is None or current.scheduled_expression != schedule.expression:
                self._schedules.pop(key, None)
                return
            if current.state == "ENABLED":
                self._to_targets(current, {
                    "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                    "account": rule.account_id, "time": _iso(datetime.datetime.now(datetime.UTC)), "region": rule.region_name,
                    "resources": [current.arn], "detail": {},
                })
            self.call_later(schedule.period * self.scale, tick)

        self.call_later(schedule.period * self.scale, tick)

    # -- events AWS services publish --

    def publish_execution_status(self, execution: Any, status: str) -> None:
        """What Step Functions puts on the default bus when an execution's status changes."""
        ended = status != "RUNNING"
        detail = {
            "executionArn": execution.exec_arn,
            "stateMachineArn": execution.state_machine_arn,
            "name": execution.name,
            "status": status,
            "startDate": _millis(execution.start_date),
            "stopDate": _millis(execution.stop_date) if ended and execution.stop_date else None,
            "input": json.dumps(execution.input_data),
            "output": json.dumps(execution.output) if status == "SUCCEEDED" else None,
            "inputDetails": {"included": True},
            "outputDetails": {"included": True} if status == "SUCCEEDED" else None,
            "error": execution.error if ended else None,
            "cause": execution.cause if ended else None,
        }
        backend = self._events_backends[execution.account_id][execution.region_name]
        backend.put_events([{"Source": "aws.states", "DetailType": STATES_DETAIL_TYPE, "Detail": json.dumps(detail),
                             "Resources": [execution.exec_arn]}])

    def mirrored(self, entry: dict[str, Any]) -> list[dict[str, Any]]:
        """The default-bus events an AWS service would publish for this entry (App.mirrors), if any."""
        bus = (entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
        found = []
        for mirror_bus, mirror in self.mirrors:
            if (bus, entry.get("Source"), entry.get("DetailType")) != (mirror_bus, mirror.source, mirror.detail_type):
                continue
            if json.loads(entry["Detail"]).get(mirror.field) in mirror.values:
                found.append({"Source": mirror.as_source, "DetailType": mirror.detail_type, "Detail": entry["Detail"],
                              "Resources": entry.get("Resources", []), "EventBusName": "default"})
        return found


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a target receives: the event as EventBridge sends it, or what the target's settings make of it."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(as_sent(event))  # type: ignore[no-untyped-call]
        return matches[0].value if matches else None
    return as_sent(event)


def as_sent(event: dict[str, Any]) -> dict[str, Any]:
    """moto's event, as EventBridge delivers it: an ISO 8601 time, no ingestion time."""
    sent = {key: value for key, value in event.items() if key != "ingestion-time"}
    if isinstance(sent.get("time"), (int, float)):
        sent["time"] = _iso(datetime.datetime.fromtimestamp(float(sent["time"]), datetime.UTC))
    return sent


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _millis(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)
