"""The event-driven side, locally (issue 15, part 2): rules on the stack's bus and the default bus
routed to their targets (functions and queues) with retries and dead-letter queues, Step Functions'
status events, scheduled rules, and Amazon Translate's own events on the default bus.

In-process (moto), with the router's clock in the test's hands: nothing here sleeps for a retry or
a schedule. Step Functions runs executions on its own threads, so a test that waits for one of
them polls with a deadline (``deliver_until``), as tests.support.stack's ``wait_for_execution`` does.
"""

import datetime
import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local_stack.eventbridge import EventRouter, Schedule, time_scale
from local_stack.provision import provision_rules
from tests.support.events import capture_events, drain, stream_delivery, transitions
from tests.support.stack import ACCOUNT, REGION, execution_arn, put_job, start_job, wait_for_execution
from translate_jobs_local.app import STACK_SOURCE

STATES_PATTERN = {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}
TRANSLATE_PATTERN = {"source": ["aws.translate"], "detail-type": ["Translate TextTranslationJob State Change"]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def routed(buckets: Any, clock: Clock, monkeypatch: Any) -> Any:
    """The stack with its function rules and the router installed (not started: tests run it)."""
    buckets.runtime.update_configuration("StopRequestFunction", STOP_REQUEST_ACCOUNTS=ACCOUNT)
    provision_rules(buckets, REGION)  # those with Lambda targets, which the router delivers
    router = EventRouter(buckets, clock=clock, scale=1.0)
    undo = router.install()
    capture_events(buckets)
    buckets.router = router
    yield buckets
    router.stop()
    undo()


def queue_with_rule(name: str, pattern: dict[str, Any], bus: str = "default", **target: Any) -> str:
    """A queue, and a rule on the bus that targets it (as a user would add them)."""
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn, **target}])
    return name


def messages(queue: str) -> list[dict[str, Any]]:
    return drain(queue)


def deliver_until(stack: Any, done: Callable[[], bool], timeout: float = 30) -> None:
    """Run the router until done() (Step Functions' threads publish while the test runs)."""
    deadline = time.monotonic() + timeout
    while True:
        stack.router.run_due()
        if done():
            return
        assert time.monotonic() < deadline, "not done in time"
        time.sleep(0.05)


def has_history(sfn: Any, arn: str) -> bool:
    """Has the execution's interpreter started? (moto cannot stop an execution a moment before that)"""
    try:
        return bool(sfn.get_execution_history(executionArn=arn)["events"])
    except Exception:  # noqa: BLE001 - moto fails the call in that moment too
        return False


def job_status(job_id: str) -> str:
    from tests.support.stack import job_store

    return str(job_store().get(ACCOUNT, job_id).job_status)


def put_stop_request(job_id: str, bus: str) -> None:
    entry = {"Source": "translate-jobs.stop-requests", "DetailType": "StopTextTranslationJob Request",
             "Detail": json.dumps({"JobId": job_id, "AccountId": ACCOUNT}), "EventBusName": bus}
    assert boto3.client("events", region_name=REGION).put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_the_function_rules_are_the_ones_sam_derives_from_the_template(routed):
    events = boto3.client("events", region_name=REGION)
    bus = routed.resolver.ref("JobEventBus")

    def rule(name: str, on: str = "default") -> tuple[dict[str, Any], list[dict[str, Any]]]:
        targets = events.list_targets_by_rule(Rule=name, EventBusName=on)["Targets"]
        return events.describe_rule(Name=name, EventBusName=on), targets

    stop, stop_targets = rule("translate-jobs-StopRequestFunctionStopRequestEvent", bus)
    # the sources allowed to send it (StopRequestEventSources), and the type
    assert json.loads(stop["EventPattern"]) == {"source": ["translate-jobs.stop-requests"],
                                                "detail-type": ["StopTextTranslationJob Request"]}
    assert stop_targets[0]["Arn"] == routed.runtime.find("StopRequestFunction").arn
    assert stop_targets[0]["RetryPolicy"] == {"MaximumRetryAttempts": 3}
    reconciler, _ = rule("translate-jobs-ReconcilerFunctionExecutionEndedAbnormally")
    assert json.loads(reconciler["EventPattern"])["detail"]["stateMachineArn"] == [routed.state_machine_arn]
    assert rule("translate-jobs-SweepFunctionEvery5Minutes")[0]["ScheduleExpression"] == "rate(5 minutes)"


def test_a_stop_request_event_on_the_stacks_bus_stops_the_job(routed):
    job_id = put_job("IN_PROGRESS")

    put_stop_request(job_id, routed.resolver.ref("JobEventBus"))
    assert job_status(job_id) == "IN_PROGRESS"  # PutEvents returned before delivery, as on AWS
    routed.router.run_due()

    assert job_status(job_id) == "STOP_REQUESTED"


def test_state_changes_reach_a_users_rule_and_a_disabled_or_unmatched_rule_gets_nothing(routed):
    bus = routed.resolver.ref("JobEventBus")
    mine = queue_with_rule("my-completed", {"source": [STACK_SOURCE], "detail": {"jobStatus": ["COMPLETED"]}}, bus)
    disabled = queue_with_rule("my-disabled", {"source": [STACK_SOURCE]}, bus)
    boto3.client("events", region_name=REGION).disable_rule(Name=disabled, EventBusName=bus)
    other = queue_with_rule("my-other-source", {"source": ["someone.else"]}, bus)
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"Hi\n")

    job_id = start_job(routed)
    assert wait_for_execution(routed, job_id)["status"] == "SUCCEEDED"
    stream_delivery(routed).pump()
    routed.router.run_due()

    [completed] = messages(mine)
    assert completed["body"]["detail"]["jobId"] == job_id and completed["body"]["account"] == ACCOUNT
    assert completed["body"]["time"].endswith("Z") and "ingestion-time" not in completed["body"]
    assert messages(disabled) == [] and messages(other) == []


@pytest.mark.long
def test_amazon_translates_own_event_reaches_a_rule_on_the_default_bus_when_a_job_ends(routed):
    translate = queue_with_rule("written-for-amazon-translate", TRANSLATE_PATTERN)
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"Hi\n")

    job_id = start_job(routed)
    assert wait_for_execution(routed, job_id)["status"] == "SUCCEEDED"
    stream_delivery(routed).pump()
    routed.router.run_due()

    # Amazon Translate sends one event, when the job ends; the stack's bus got every change
    [event] = messages(translate)
    assert event["body"]["source"] == "aws.translate" and event["body"]["account"] == ACCOUNT
    assert event["body"]["detail"]["jobId"] == job_id and event["body"]["detail"]["jobStatus"] == "COMPLETED"
    assert len(transitions(drain(), job_id)) == 3


def test_step_functions_status_changes_are_published_on_the_default_bus(routed):
    states = queue_with_rule("states", STATES_PATTERN)
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"Hi\n")

    job_id = start_job(routed)
    assert wait_for_execution(routed, job_id)["status"] == "SUCCEEDED"
    found: list[dict[str, Any]] = []

    def both_published() -> bool:
        found.extend(messages(states))
        return len(found) >= 2

    deliver_until(routed, both_published)

    running, succeeded = (event["body"] for event in found)
    assert running["source"] == "aws.states" and running["resources"] == [execution_arn(routed, job_id)]
    assert running["detail"]["status"] == "RUNNING" and running["detail"]["stopDate"] is None
    assert json.loads(running["detail"]["input"]) == {"AccountId": ACCOUNT, "JobId": job_id}
    detail = succeeded["detail"]
    assert detail["status"] == "SUCCEEDED" and detail["name"] == job_id
    assert detail["stateMachineArn"] == routed.state_machine_arn and detail["executionArn"] == execution_arn(routed, job_id)
    assert detail["stopDate"] >= detail["startDate"] > 0 and json.loads(detail["output"]) is not None


def test_a_workflow_stopped_by_stopexecution_is_reconciled_to_failed(routed):
    # Given a job whose workflow waits, queued behind an older job that never began
    put_job("SUBMITTED", submitted_time=time.time() - 60)
    job_id = start_job(routed)
    sfn = boto3.client("stepfunctions", region_name=REGION)

    # When its execution, once it runs, is stopped (ABORTED)
    deliver_until(routed, lambda: has_history(sfn, execution_arn(routed, job_id)))
    sfn.stop_execution(executionArn=execution_arn(routed, job_id), error="Operator", cause="stopped by hand")

    # Then the reconciler finalizes the job
    deliver_until(routed, lambda: job_status(job_id) == "FAILED")
    from tests.support.stack import job_store

    assert "workflow was stopped" in str(job_store().get(ACCOUNT, job_id).message)


def test_a_workflow_that_fails_is_reconciled_and_the_job_finalized(routed, monkeypatch):
    from translate_jobs.workflow import steps

    # Given FinalizeJob and FinalizeFailedJob both fail once (the workflow then FAILS), the reconciler's call works
    real, calls = steps.finalize_job, []

    def finalize_job(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) <= 2:
            raise RuntimeError("the finalize step broke")
        return real(*args, **kwargs)

    monkeypatch.setattr(steps, "finalize_job", finalize_job)
    boto3.client("s3", region_name=REGION).put_object(Bucket="input-docs", Key="docs/a.txt", Body=b"Hi\n")

    job_id = start_job(routed)
    assert wait_for_execution(routed, job_id)["status"] == "FAILED"
    deliver_until(routed, lambda: job_status(job_id) == "FAILED")

    assert len(calls) == 3


def test_the_sweep_runs_on_its_schedule(routed, clock):
    # Given a job Start wrote 11 minutes ago, whose execution never started
    job_id = put_job("SUBMITTED", submitted_time=time.time() - 660)
    sfn = boto3.client("stepfunctions", region_name=REGION)

    # Before five minutes have passed, the sweep has not run
    clock.advance(299)
    routed.router.run_due()
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn=execution_arn(routed, job_id))

    # At five minutes it runs and starts the job's execution
    clock.advance(1)
    routed.router.run_due()
    assert sfn.describe_execution(executionArn=execution_arn(routed, job_id))["status"] in ("RUNNING", "SUCCEEDED")


def test_a_scaled_schedule_runs_sooner_and_a_users_scheduled_rule_gets_the_scheduled_event(buckets, clock):
    router = EventRouter(buckets, clock=clock, scale=0.01)
    undo = router.install()
    try:
        queue = "every-hour"
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events = boto3.client("events", region_name=REGION)
        events.put_rule(Name=queue, ScheduleExpression="rate(1 hour)")
        events.put_targets(Rule=queue, Targets=[{"Id": "q", "Arn": arn}])

        clock.advance(35)  # 1 hour x 0.01 = 36 s
        router.run_due()
        assert messages(queue) == []
        clock.advance(1)
        router.run_due()
        [event] = messages(queue)
        assert event["body"]["detail-type"] == "Scheduled Event" and event["body"]["source"] == "aws.events"
        assert event["body"]["resources"] == [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{queue}"]
    finally:
        router.stop()
        undo()


@pytest.mark.long
def test_a_failing_sqs_target_is_retried_per_its_retry_policy_then_sent_to_its_dead_letter_queue(routed, clock):
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="my-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="to-a-missing-queue", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="to-a-missing-queue", Targets=[{
        "Id": "gone", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue",
        "RetryPolicy": {"MaximumRetryAttempts": 2}, "DeadLetterConfig": {"Arn": dlq_arn},
    }])

    events.put_events(Entries=[{"Source": "my.app", "DetailType": "x", "Detail": "{}"}])
    routed.router.run_due()  # the first try fails
    clock.advance(1)
    routed.router.run_due()  # retry 1 (after 1 s) fails
    assert messages("my-dlq") == []
    clock.advance(2)
    routed.router.run_due()  # retry 2 (after 2 s) fails: retries exhausted

    [dead] = messages("my-dlq")
    assert dead["body"]["source"] == "my.app"
    attributes = {key: value["StringValue"] for key, value in dead["attributes"].items()}
    assert attributes["RETRY_ATTEMPTS"] == "2" and attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["TARGET_ARN"].endswith(":no-such-queue") and attributes["RULE_ARN"].endswith("rule/to-a-missing-queue")


def test_a_function_that_keeps_failing_on_an_event_is_retried_twice_then_its_dead_letter_queue_gets_the_event(
    routed, clock, monkeypatch
):
    from translate_jobs.events import stop_requests

    calls: list[Any] = []

    def broken(deps: Any, event: Any) -> Any:
        calls.append(event)
        raise RuntimeError("the store is down")

    monkeypatch.setattr(stop_requests, "process_stop_event", broken)
    job_id = put_job("IN_PROGRESS")
    put_stop_request(job_id, routed.resolver.ref("JobEventBus"))

    routed.router.run_due()
    clock.advance(60)
    routed.router.run_due()
    assert len(calls) == 2 and drain("translate-jobs-StopRequestDeadLetterQueue") == []
    clock.advance(120)
    routed.router.run_due()

    assert len(calls) == 3  # Lambda's asynchronous invocation: one try and two retries
    [dead] = drain("translate-jobs-StopRequestDeadLetterQueue")
    assert dead["body"]["detail"] == {"JobId": job_id, "AccountId": ACCOUNT}
    assert dead["attributes"]["ErrorMessage"]["StringValue"] == "the store is down"


def test_the_stack_source_is_the_publishers():
    from translate_jobs.events.state_changes import DETAIL_TYPE, SOURCE

    assert (STACK_SOURCE, "Translate TextTranslationJob State Change") == (SOURCE, DETAIL_TYPE)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(5 minutes)", "2026-11-29T10:00:30", "2026-11-29T10:05:30"),
        ("rate(1 day)", "2026-11-29T10:00:00", "2026-11-30T10:00:00"),
        ("rate(2 hours)", "2026-11-29T23:30:00", "2026-11-30T01:30:00"),
    ],
)
def test_schedule_expressions_fire_when_eventbridge_would(expression, after, expected):
    def utc(text: str) -> datetime.datetime:
        return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)

    assert utc(after) + datetime.timedelta(seconds=Schedule(expression).period) == utc(expected)


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(5 fortnights)", "rate(x minutes)", "every 5 minutes"])
def test_invalid_schedule_expressions_are_refused(expression):
    with pytest.raises(ValueError, match="not valid"):
        Schedule(expression)


def test_a_cron_schedule_is_refused_as_not_run_locally():
    with pytest.raises(ValueError, match="cron schedules are not run locally"):
        Schedule("cron(0 10 * * ? *)")


@pytest.mark.parametrize("value", ["0", "-1", "fast", "nan", "inf"])
def test_a_schedule_scale_that_is_not_a_positive_number_is_refused(monkeypatch, value):
    monkeypatch.setenv("LOCAL_SCHEDULE_SCALE", value)
    with pytest.raises(ValueError, match="^error: LOCAL_SCHEDULE_SCALE must be a positive number"):
        time_scale()


@pytest.mark.parametrize(
    ("definition", "status", "error", "cause"),
    [
        ({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}},
         "FAILED", "Broken", "on purpose"),
        ({"TimeoutSeconds": 1, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}},
         "TIMED_OUT", None, None),
    ],
)
def test_any_state_machines_abnormal_end_is_published_with_its_error_and_cause(routed, definition, status, error, cause):
    ended = queue_with_rule(f"ended-{status.lower()}", {"source": ["aws.states"], "detail": {"status": [status]}})
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(name=f"mine-{status.lower()}", definition=json.dumps(definition),
                                       roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn")["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"hello": "world"}')["executionArn"]

    found: list[dict[str, Any]] = []

    def published() -> bool:
        found.extend(messages(ended))
        return bool(found)

    deliver_until(routed, published)
    detail = found[0]["body"]["detail"]
    assert (detail["executionArn"], detail["stateMachineArn"], detail["status"]) == (execution, machine, status)
    assert (detail["error"], detail["cause"], detail["output"]) == (error, cause, None)
    assert json.loads(detail["input"]) == {"hello": "world"} and detail["stopDate"] >= detail["startDate"]


def test_a_targets_input_and_inputpath_shape_what_it_receives_and_an_inputtransformer_is_refused(routed, caplog):
    pattern = {"source": ["my.app"]}
    constant = queue_with_rule("gets-input", pattern, Input='{"fixed": true}')
    path = queue_with_rule("gets-input-path", pattern, InputPath="$.detail")
    transformed = queue_with_rule("gets-transformed", pattern, InputTransformer={
        "InputPathsMap": {"job": "$.detail.jobId"}, "InputTemplate": '{"job": <job>, "note": "transformed"}'})

    boto3.client("events", region_name=REGION).put_events(
        Entries=[{"Source": "my.app", "DetailType": "x", "Detail": json.dumps({"jobId": "j-1"})}])
    routed.router.run_due()

    assert [m["body"] for m in messages(constant)] == [{"fixed": True}]
    assert [m["body"] for m in messages(path)] == [{"jobId": "j-1"}]
    # an InputTransformer is not run locally: its target gets nothing (rather than the untransformed event), logged
    assert messages(transformed) == []
    assert "InputTransformer is not run locally" in caplog.text


def test_a_stop_that_lands_as_a_task_begins_aborts_the_execution(routed, monkeypatch):
    # Given a queued job's workflow, stopped at the moment its BeginJob task begins (before its resource is
    # evaluated): the window in which the stop above once turned into States.Runtime, failing the execution
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import StateTaskService

    put_job("SUBMITTED", submitted_time=time.time() - 60)
    job_id = start_job(routed)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    begin = StateTaskService._eval_execution

    def stopped_as_it_begins(self: Any, env: Any) -> None:
        monkeypatch.setattr(StateTaskService, "_eval_execution", begin)  # once
        sfn.stop_execution(executionArn=execution_arn(routed, job_id), error="Operator", cause="stopped by hand")
        begin(self, env)

    monkeypatch.setattr(StateTaskService, "_eval_execution", stopped_as_it_begins)

    # When it runs
    execution = wait_for_execution(routed, job_id)

    # Then it ended ABORTED, as StopExecution ends an execution on AWS, and the reconciler says so
    assert execution["status"] == "ABORTED", execution
    deliver_until(routed, lambda: job_status(job_id) == "FAILED")
    from tests.support.stack import job_store

    assert "workflow was stopped" in str(job_store().get(ACCOUNT, job_id).message)
