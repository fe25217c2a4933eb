"""EventBridge, Lambda's asynchronous invocation and AWS services' events, done locally.

moto 5.2.5's EventBridge stores buses, rules and targets, and its PutEvents sends matching events
to SQS (and logs, archives, other buses) synchronously, inside the PutEvents call. It has no
Lambda targets (PutEvents fails on one), ignores a rule's State, a target's RetryPolicy and
DeadLetterConfig, leaves ``account`` out of the event it sends, matches arrays of objects and
booleans unlike EventBridge, and runs no schedule; its Step Functions publish no status events.
``EventRouter.install`` hooks moto's backends in this process (no polling):

* ``Rule.send_to_targets``: an enabled rule whose pattern matches (local_stack.event_patterns)
  queues one delivery per target for the router's thread, so PutEvents returns at once, as on AWS;
* a delivery puts the event as EventBridge sends it (or the target's Input, InputPath or
  InputTransformer) on an SQS target, or invokes a Lambda target asynchronously: Lambda runs the
  function and, if it fails, retries it (the function's EventInvokeConfig MaximumRetryAttempts,
  default 2) and then sends the event to the function's DeadLetterQueue. A delivery that fails
  (an unknown queue or function) is retried with backoff up to the target's RetryPolicy, then
  goes to the target's DeadLetterConfig queue with EventBridge's attributes, else is logged and
  dropped;
* scheduled rules (``rate(...)``, ``cron(...)``) fire on their schedule, stretched by the time
  scale (env ``LOCAL_SCHEDULE_SCALE``: 0.01 runs a 5-minute rate every 3 s; it also scales retry
  backoff);
* Step Functions execution status changes are put on the default bus as Step Functions publishes
  them (source ``aws.states``);
* as Amazon Translate would, each job state change the stack publishes that Amazon Translate also
  publishes (a job ending) is put on the default bus with source ``aws.translate`` (a deployed
  stack cannot: AWS reserves ``aws.*`` sources).
"""

import calendar
import copy
import datetime
import heapq
import itertools
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from local_stack.event_patterns import EventPattern
from local_stack.provision import Stack
from local_stack.runtime import FunctionError
from local_stack.template import resources_of_type

log = logging.getLogger(__name__)

SCALE_VARIABLE = "LOCAL_SCHEDULE_SCALE"
LAMBDA_ASYNC_RETRY_DELAYS = (60, 120)  # seconds before Lambda's 1st and 2nd retry of an async invoke
DEFAULT_RETRY_POLICY = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
STATES_DETAIL_TYPE = "Step Functions Execution Status Change"
TRANSLATE_DETAIL_TYPE = "Translate TextTranslationJob State Change"
STACK_SOURCE = "translate-jobs"  # translate_jobs.events.state_changes.SOURCE (a test checks they agree)
# Amazon Translate sends its event when a job ends, successfully or not (its EventBridge docs).
TRANSLATE_EVENT_STATUSES = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}


def time_scale() -> float:
    raw = os.environ.get(SCALE_VARIABLE, "1")
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(f"error: {SCALE_VARIABLE} must be a positive number, not {raw!r}") from None
    if scale <= 0:
        raise ValueError(f"error: {SCALE_VARIABLE} must be a positive number, not {raw!r}")
    return scale


class Timer:
    """Actions run at a time on one thread, which sleeps until the next is due (or a new one arrives)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        with self._changed:
            heapq.heappush(self._heap, (self.clock() + max(0.0, delay), next(self._order), action))
            self._changed.notify()

    def run_due(self) -> int:
        """Run every action due now, including ones that become due while running; how many ran."""
        ran = 0
        while True:
            with self._changed:
                if not self._heap or self._heap[0][0] > self.clock():
                    return ran
                action = heapq.heappop(self._heap)[2]
            try:
                action()
            except Exception:  # noqa: BLE001 - one broken delivery must not stop the others
                log.exception("local EventBridge: an action failed")
            ran += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="local-eventbridge", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._stopping:
                    return
                wait = self._heap[0][0] - self.clock() if self._heap else None
                if wait is None or wait > 0:
                    self._changed.wait(wait)
                    continue
            self.run_due()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread:
            self._thread.join(timeout=5)


# ---------- schedules ----------

class Schedule:
    """A ScheduleExpression: rate(N unit) or AWS's six-field cron (UTC)."""

    UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
    MONTHS = {name: number for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
    DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.period: float | None = None
        body = expression.strip()
        if body.startswith("rate(") and body.endswith(")"):
            value, _, unit = body[5:-1].strip().partition(" ")
            if not value.isdigit() or int(value) < 1 or unit.strip() not in self.UNITS:
                raise ValueError(f"Parameter ScheduleExpression is not valid: {expression}")
            self.period = int(value) * self.UNITS[unit.strip()]
        elif body.startswith("cron(") and body.endswith(")"):
            fields = body[5:-1].split()
            if len(fields) != 6:
                raise ValueError(f"Parameter ScheduleExpression is not valid: {expression}")
            minutes, hours, dom, months, dow, years = fields
            if (dom == "?") == (dow == "?"):
                raise ValueError(f"cron: exactly one of day-of-month and day-of-week must be '?': {expression}")
            self.minutes = _cron_field(minutes, 0, 59)
            self.hours = _cron_field(hours, 0, 23)
            self.months = _cron_field(months.upper(), 1, 12, self.MONTHS)
            self.years = _cron_field(years, 1970, 2199)
            self.dom, self.dow = dom.upper(), dow.upper()
            self.dom_values = None if self.dom in ("?", "L") else _cron_field(self.dom, 1, 31)
            if "#" in self.dow or self.dow.endswith("L") and self.dow != "L":
                self.dow_values = None
            else:
                self.dow_values = None if self.dow == "?" else _cron_field(self.dow, 1, 7, self.DAYS)
        else:
            raise ValueError(f"Parameter ScheduleExpression is not valid: {expression}")

    def next_after(self, after: datetime.datetime) -> datetime.datetime:
        if self.period is not None:
            return after + datetime.timedelta(seconds=self.period)
        start = (after + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        for _ in range(366 * 30):
            if day.year in self.years and day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        fire = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=datetime.UTC)
                        if fire >= start:
                            return fire
            day += datetime.timedelta(days=1)
        raise ValueError(f"{self.expression} never fires")

    def _day_matches(self, day: datetime.date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if self.dom != "?":
            return day.day == last if self.dom == "L" else day.day in (self.dom_values or set())
        weekday = (day.weekday() + 1) % 7 + 1  # AWS: 1 = SUN ... 7 = SAT
        if "#" in self.dow:  # "6#3": the third Friday
            wanted, nth = self.dow.split("#")
            return weekday == self._weekday(wanted) and (day.day - 1) // 7 + 1 == int(nth)
        if self.dow.endswith("L") and self.dow != "L":  # "6L": the last Friday
            wanted = self.dow[:-1]
            return weekday == self._weekday(wanted) and day.day + 7 > last
        return weekday in (self.dow_values or set()) or (self.dow == "L" and weekday == 7)

    def _weekday(self, token: str) -> int:
        return self.DAYS[token] if token in self.DAYS else _int(token)


def _int(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"cron: {text!r} is not a number")
    return int(text)


def _cron_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    def number(token: str) -> int:
        value = (names or {}).get(token) or _int(token)
        if not low <= value <= high:
            raise ValueError(f"cron: {token} is out of range {low}-{high}")
        return value

    values: set[int] = set()
    for part in text.split(","):
        part, slash, step_text = part.partition("/")
        step = _int(step_text) if slash else 1
        if part in ("*", "?"):
            first, last = low, high
        elif "-" in part:
            first, last = (number(token) for token in part.split("-", 1))
        elif part.endswith("W") or part.endswith("L"):
            raise ValueError(f"cron: {part} is not supported locally")
        else:
            first = number(part)
            last = high if slash else first
        values.update(range(first, last + 1, step))
    return values


# ---------- the router ----------

class EventRouter:
    """Routes events put on this process's moto EventBridge to their targets (see the module doc)."""

    def __init__(self, stack: Stack, region: str = "us-east-1", *, clock: Callable[[], float] = time.monotonic,
                 scale: float | None = None, wall_clock: Callable[[], datetime.datetime] | None = None) -> None:
        self.stack = stack
        self.region = region
        self.scale = time_scale() if scale is None else scale
        self.timer = Timer(clock)
        self.wall_clock = wall_clock or (lambda: datetime.datetime.now(datetime.UTC))
        self.stack_bus = next(
            (stack.resolver.ref(name) for name in resources_of_type(stack.template, "AWS::Events::EventBus")), None
        )
        self._schedules: dict[tuple[str, str, str], int] = {}  # (account, region, rule) -> generation
        self._generations = itertools.count(1)
        self._undo: list[Callable[[], None]] = []

    # -- installing on moto --

    def install(self) -> "EventRouter":
        from moto.events.models import EventsBackend, Rule, events_backends
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

        router = self
        send_original = Rule.send_to_targets
        put_events_original = EventsBackend.put_events
        put_rule_original = EventsBackend.put_rule
        start_original = Execution.start
        terminated_original = BaseExecutionWorkerCommunication.terminated

        def send_to_targets(rule: Any, event: dict[str, Any], transform_input: bool = True) -> None:
            router.route(rule, event)

        def put_events(backend: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
            entries = put_events_original(backend, events)
            translate_events = [router.as_amazon_translate(event) for event, entry in zip(events, entries, strict=True)
                                if "EventId" in entry]
            mirrored = [event for event in translate_events if event]
            if mirrored:
                put_events_original(backend, mirrored)
            return entries

        def put_rule(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            rule = put_rule_original(backend, name, *args, **kwargs)
            if rule.scheduled_expression:
                router.schedule(backend.account_id, backend.region_name, rule)
            return rule

        def start(execution: Any) -> None:
            router.publish_execution_status(execution, "RUNNING")
            start_original(execution)

        def terminated(communication: Any) -> None:
            terminated_original(communication)
            router.publish_execution_status(communication.execution, communication.execution.exec_status.value)

        patches = [
            (Rule, "send_to_targets", send_to_targets),
            (EventsBackend, "put_events", put_events),
            (EventsBackend, "put_rule", put_rule),
            (Execution, "start", start),
            (BaseExecutionWorkerCommunication, "terminated", terminated),
        ]
        originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
        for owner, name, replacement in patches:
            setattr(owner, name, replacement)
        self._send_original = send_original
        self._events_backends = events_backends

        def undo() -> None:
            for owner, name, original in originals:
                setattr(owner, name, original)

        self._undo.append(undo)
        self._schedule_existing_rules()
        return self

    def start(self) -> "EventRouter":
        self.timer.start()
        return self

    def stop(self) -> None:
        self.timer.stop()
        while self._undo:
            self._undo.pop()()

    def run_due(self) -> int:
        return self.timer.run_due()

    # -- routing --

    def route(self, rule: Any, event: dict[str, Any]) -> None:
        """A rule saw an event put on its bus: queue one delivery per target if it is enabled and matches."""
        if rule.state != "ENABLED" or (rule.scheduled_expression and not rule.event_pattern.get_pattern()):
            return  # moto sends to disabled rules, and to scheduled rules (an empty pattern) on every event
        if not EventPattern.of(rule.event_pattern).matches_event(cast(Any, event)):
            return
        for target in list(rule.targets):
            self._deliver_later(0, rule.arn, dict(target), event, attempt=0, first_try=self.timer.clock())

    def _deliver_later(self, delay: float, rule_arn: str, target: dict[str, Any], event: dict[str, Any],
                       attempt: int, first_try: float) -> None:
        self.timer.call_later(delay, lambda: self._deliver(rule_arn, target, event, attempt, first_try))

    def _deliver(self, rule_arn: str, target: dict[str, Any], event: dict[str, Any], attempt: int, first_try: float) -> None:
        try:
            self._send(rule_arn, target, event)
            return
        except Exception as error:  # noqa: BLE001 - EventBridge retries any failed delivery
            failure = error
        policy = {**DEFAULT_RETRY_POLICY, **target.get("RetryPolicy", {})}
        age = self.timer.clock() - first_try
        if attempt < int(policy["MaximumRetryAttempts"]) and age < int(policy["MaximumEventAgeInSeconds"]):
            delay = min(2.0**attempt, 300.0) * self.scale
            log.warning("EventBridge: delivery of event %s to %s failed (%s); retry %d in %.1f s",
                        event["id"], target["Arn"], failure, attempt + 1, delay)
            self._deliver_later(delay, rule_arn, target, event, attempt + 1, first_try)
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
            payload = target_input(target, event, rule_arn)
            group = target.get("SqsParameters", {}).get("MessageGroupId")
            self._send_sqs(target["Arn"], payload if isinstance(payload, str) else json.dumps(payload), group_id=group)
        elif service == "lambda":
            function = self.stack.runtime.find(target["Arn"])  # an unknown function fails the delivery
            payload = target_input(target, event, rule_arn)
            self._invoke_async(function.logical_id, payload.payload() if isinstance(payload, Rendered) else payload, attempt=0)
        else:  # logs, archives, other buses: moto's own delivery, run here rather than inside PutEvents
            from moto.events.models import events_backends

            account, region = rule_arn.split(":")[4], rule_arn.split(":")[3]
            rule = copy.copy(next(r for bus in events_backends[account][region].event_buses.values()
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

    def _invoke_async(self, function: str, payload: Any, attempt: int) -> None:
        self.timer.call_later(0 if attempt == 0 else LAMBDA_ASYNC_RETRY_DELAYS[attempt - 1] * self.scale,
                              lambda: self._run_async(function, payload, attempt))

    def _run_async(self, function: str, payload: Any, attempt: int) -> None:
        try:
            self.stack.runtime.invoke(function, payload)
            return
        except FunctionError as error:
            failure = error
        props = self.stack.resolver.resolve(
            resources_of_type(self.stack.template, "AWS::Serverless::Function")[function]["Properties"]
        )
        retries = min(int(props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2)), len(LAMBDA_ASYNC_RETRY_DELAYS))
        if attempt < retries:
            log.warning("Lambda: async invoke of %s failed (%s); retry %d of %d", function, failure, attempt + 1, retries)
            self._invoke_async(function, payload, attempt + 1)
            return
        dead_letter = props.get("DeadLetterQueue", {}).get("TargetArn")
        log.error("Lambda: async invoke of %s failed %d times (%s); event %s%s", function, attempt + 1, failure,
                  "sent to " + dead_letter if dead_letter else "dropped (the function has no DeadLetterQueue)",
                  "" if dead_letter else f": {json.dumps(payload)[:500]}")
        if dead_letter:
            attributes = {"RequestID": str(uuid.uuid4()), "ErrorCode": "200", "ErrorMessage": str(failure)[:1024]}
            self._send_sqs(dead_letter, json.dumps(payload), attributes)

    # -- schedules --

    def _schedule_existing_rules(self) -> None:
        for account, regions in self._events_backends.items():
            for region, backend in regions.items():
                for bus in backend.event_buses.values():
                    for rule in bus.rules.values():
                        if rule.scheduled_expression:
                            self.schedule(account, region, rule)

    def schedule(self, account: str, region: str, rule: Any) -> None:
        """Fire a scheduled rule on its schedule (scaled); a later put_rule of the same name replaces it."""
        try:
            schedule = Schedule(rule.scheduled_expression)
        except ValueError as error:
            log.error("EventBridge: rule %s will not run locally: %s", rule.name, error)
            return
        key = (account, region, rule.name)
        generation = self._schedules[key] = next(self._generations)
        self._tick_later(key, generation, schedule, self.wall_clock())

    def _tick_later(self, key: tuple[str, str, str], generation: int, schedule: Schedule, last: datetime.datetime) -> None:
        fire = schedule.next_after(last)
        delay = (fire - last).total_seconds() * self.scale
        self.timer.call_later(delay, lambda: self._tick(key, generation, schedule, fire))

    def _tick(self, key: tuple[str, str, str], generation: int, schedule: Schedule, fire: datetime.datetime) -> None:
        if self._schedules.get(key) != generation:
            return  # the rule was replaced
        account, region, name = key
        rule = self._events_backends[account][region].event_buses["default"].rules.get(name)
        if rule is None or rule.scheduled_expression != schedule.expression:
            self._schedules.pop(key, None)
            return
        if rule.state == "ENABLED":
            event = {
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                "account": account, "time": _iso(self.wall_clock()), "region": region, "resources": [rule.arn], "detail": {},
            }
            for target in list(rule.targets):
                self._deliver_later(0, rule.arn, dict(target), event, attempt=0, first_try=self.timer.clock())
        self._tick_later(key, generation, schedule, fire)

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

    def as_amazon_translate(self, entry: dict[str, Any]) -> dict[str, Any] | None:
        """The default-bus event Amazon Translate sends for this job state change on the stack's bus, if any."""
        bus = (entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
        if bus != self.stack_bus or entry.get("Source") != STACK_SOURCE or entry.get("DetailType") != TRANSLATE_DETAIL_TYPE:
            return None
        detail = json.loads(entry["Detail"])
        if detail.get("jobStatus") not in TRANSLATE_EVENT_STATUSES:
            return None
        return {"Source": "aws.translate", "DetailType": TRANSLATE_DETAIL_TYPE, "Detail": entry["Detail"],
                "Resources": entry.get("Resources", []), "EventBusName": "default"}


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str = "") -> Any:
    """What a target receives: the event as EventBridge sends it, or what the target's settings make of it."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(as_sent(event))  # type: ignore[no-untyped-call]
        return matches[0].value if matches else None
    if "InputTransformer" in target:
        transformer = target["InputTransformer"]
        return transform_input(transformer["InputTemplate"], transformer.get("InputPathsMap", {}), as_sent(event), rule_arn)
    return as_sent(event)


PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


class Rendered(str):
    """An InputTransformer's output: sent to a queue as this text, to a function as JSON if it parses."""

    def payload(self) -> Any:
        try:
            return json.loads(self)
        except ValueError:
            return str(self)


def transform_input(template: str, paths: dict[str, str], event: dict[str, Any], rule_arn: str) -> Rendered:
    """Each <name> of the template replaced by its value: JSON-quoted outside a JSON string, as plain
    text inside one (EventBridge's rule)."""
    from jsonpath_ng.ext import parse

    values: dict[str, Any] = {}
    for name, path in paths.items():
        matches = parse(path).find(event)  # type: ignore[no-untyped-call]
        values[name] = matches[0].value if matches else None
    values.update({"aws.events.event": event, "aws.events.event.json": event,
                   "aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_arn.rsplit("/", 1)[-1]})
    out, in_string, position = [], False, 0
    while position < len(template):
        placeholder = PLACEHOLDER.match(template, position)
        if placeholder and placeholder.group(1) in values:
            value = values[placeholder.group(1)]
            text = json.dumps(value)
            out.append(text[1:-1] if in_string and isinstance(value, str) else text)
            position = placeholder.end()
            continue
        character = template[position]
        if character == '"' and (position == 0 or template[position - 1] != "\\"):
            in_string = not in_string
        out.append(character)
        position += 1
    return Rendered("".join(out))


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


def start_local_eventbridge(stack: Stack, region: str = "us-east-1") -> EventRouter:
    """The rules SAM derives from the functions' events, and the router that delivers to them."""
    from local_stack.provision import provision_function_rules

    router = EventRouter(stack, region)
    provision_function_rules(stack, region)
    return router.install().start()
