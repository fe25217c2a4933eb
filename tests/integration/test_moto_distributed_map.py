"""moto's Distributed Map, as the local stack runs it (local_stack.moto_patches.iterative_distributed_map).

moto 5.2.5's worker takes each next item by calling itself and dies with RecursionError after about
990 items, leaving the execution RUNNING forever. One worker (MaxConcurrency 1) over more items than
that shows the patched worker goes to the end.
"""

import json
import time

import boto3

from tests.support.stack import REGION

ITEMS = 1500


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
