"""moto's Distributed Map, as the local stack runs it (local_stack.moto_patches.iterative_distributed_map).

moto 5.2.5's worker takes each next item by calling itself and dies with RecursionError after about
990 items, leaving the execution RUNNING forever. One worker (MaxConcurrency 1) over more items than
that shows the patched worker goes to the end.

moto also runs every item whatever fails and the Map succeeds; AWS fails the Map Run with
States.ExceedToleratedFailureThreshold once failures exceed ToleratedFailureCount (0 unless given) and
starts no further item. A job's stop relies on that (a batch that sees the stop fails by name).
"""

import json
import time
from typing import Any

import boto3
import pytest

from tests.support.stack import REGION

ITEMS = 1500


@pytest.mark.long
def test_one_worker_runs_more_map_items_than_the_recursion_limit(stack):
    s3 = boto3.client("s3", region_name=REGION)
    key = "manifests/map-recursion.json"  # where the state machine's role may read (its ItemReader)
    s3.put_object(Bucket=stack.work_bucket, Key=key, Body=json.dumps([{"n": n} for n in range(ITEMS)]).encode())
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                               "Parameters": {"Bucket": stack.work_bucket, "Key": key}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                  "StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                "MaxConcurrency": 1,
                "ResultPath": None,
                "End": True,
            }
        },
    }
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = sfn.describe_state_machine(stateMachineArn=stack.state_machine_arn)["roleArn"]
    machine = sfn.create_state_machine(name=f"map-recursion-{time.monotonic_ns()}", definition=json.dumps(definition),
                                       roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    deadline = time.monotonic() + 120  # only against a hang: unpatched, the execution never ends
    while (status := sfn.describe_execution(executionArn=execution)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, f"the Map stopped short of {ITEMS} items: still RUNNING"
        time.sleep(0.1)
    assert status == "SUCCEEDED"


def run_map(stack: Any, items: int, fail_at: int | None, extra: dict[str, Any]) -> dict[str, Any]:
    """A Distributed Map over ``items`` items, one at a time, whose item ``fail_at`` fails; its Catch of
    States.ExceedToleratedFailureThreshold ends the execution with the error as output."""
    s3 = boto3.client("s3", region_name=REGION)
    key = f"manifests/map-abort-{time.monotonic_ns()}.json"
    s3.put_object(Bucket=stack.work_bucket, Key=key, Body=json.dumps([{"n": n} for n in range(items)]).encode())
    fail = [{"Variable": "$.n", "NumericEquals": fail_at, "Next": "Fail"}] if fail_at is not None else []
    item_states = {
        "Check": {"Type": "Choice", "Choices": fail or [{"Variable": "$.n", "NumericEquals": -1, "Next": "Fail"}],
                  "Default": "Done"},
        "Fail": {"Type": "Fail", "Error": "JobStopRequestedError", "Cause": "stopped"},
        "Done": {"Type": "Pass", "End": True},
    }
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                               "Parameters": {"Bucket": stack.work_bucket, "Key": key}},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                  "StartAt": "Check", "States": item_states},
                "MaxConcurrency": 1,
                **extra,
                "ResultPath": None,
                "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Aborted"}],
                "End": True,
            },
            "Aborted": {"Type": "Pass", "End": True},
        },
    }
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = sfn.describe_state_machine(stateMachineArn=stack.state_machine_arn)["roleArn"]
    machine = sfn.create_state_machine(name=f"map-abort-{time.monotonic_ns()}", definition=json.dumps(definition),
                                       roleArn=role)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    deadline = time.monotonic() + 120  # only against a hang
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the Map never ended"
        time.sleep(0.05)
    map_run = sfn.describe_map_run(mapRunArn=sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"])
    return {"status": described["status"], "output": json.loads(described.get("output") or "null"), "map_run": map_run}


def test_a_failed_item_beyond_the_tolerance_fails_the_map_and_no_further_item_starts(stack):
    ran = run_map(stack, items=50, fail_at=3, extra={"ToleratedFailureCount": 0})
    assert ran["status"] == "SUCCEEDED"  # the Map failed; its Catch ended the execution
    assert ran["output"]["Error"] == "States.ExceedToleratedFailureThreshold"
    assert ran["map_run"]["itemCounts"]["total"] == 4  # items 0..3 began; 46 never did
    assert ran["map_run"]["itemCounts"]["failed"] == 1


def test_failures_within_the_tolerance_let_the_map_finish(stack):
    ran = run_map(stack, items=20, fail_at=3, extra={"ToleratedFailureCount": 1})
    assert ran["status"] == "SUCCEEDED" and "Error" not in ran["output"]  # no Catch: the Map itself succeeded
    assert ran["map_run"]["itemCounts"]["total"] == 20


def test_without_failures_every_item_runs(stack):
    ran = run_map(stack, items=20, fail_at=None, extra={"ToleratedFailureCount": 0})
    assert ran["status"] == "SUCCEEDED" and "Error" not in ran["output"]
    assert ran["map_run"]["itemCounts"]["total"] == 20


def test_express_children_run_as_standard_locally_and_nothing_else_changes():
    # moto's ASL grammar rejects a Distributed Map's EXPRESS children (MapExecutionType=EXPRESS): the local
    # stack runs them as STANDARD; the rest of the definition is the template's.
    from local_stack.provision import _runnable_by_moto
    from local_stack.template import ROOT

    definition = json.loads((ROOT / "statemachine" / "translation_job.asl.json").read_text().replace(
        "${MapExecutionType}", "EXPRESS"))
    runnable = _runnable_by_moto(definition)
    config = runnable["States"]["TranslateBatches"]["ItemProcessor"]["ProcessorConfig"]
    assert config == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    runnable["States"]["TranslateBatches"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "EXPRESS"
    assert runnable == definition
