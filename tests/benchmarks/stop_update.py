"""Stop's conditional UpdateItem, written by hand: the bare handler's, and `make bench`'s request sent
straight to the emulator port."""

import time


def stop_request(table: str, account: str, job_id: str, principal: str, now: float | None = None) -> dict:
    """Stop's conditional UpdateItem, the very request the store sends (tests/integration/test_benchmarks.py
    compares them): the status, the List indexes' keys it moves, when and who asked. Also `make bench`'s
    emulator-port reference."""
    return {
        "TableName": table,
        "Key": {"AccountId": {"S": account}, "JobId": {"S": job_id}},
        "ConditionExpression": "(attribute_exists (#0) AND #1 IN (:0, :1))",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "UpdateExpression": "SET #1 = :2, #2 = :3, #3 = :4, #4 = :5, #5 = :6",
        "ExpressionAttributeNames": {
            "#0": "JobId", "#1": "JobStatus", "#2": "AccountStatus", "#3": "Unfinished",
            "#4": "StopRequestedTime", "#5": "StopRequestedBy",
        },
        "ExpressionAttributeValues": {
            ":0": {"S": "SUBMITTED"}, ":1": {"S": "IN_PROGRESS"}, ":2": {"S": "STOP_REQUESTED"},
            ":3": {"S": f"{account}#STOP_REQUESTED"}, ":4": {"S": "UNFINISHED"},
            ":5": {"N": repr(time.time() if now is None else now)},
            ":6": {"M": {"Channel": {"S": "API"}, "Principal": {"S": principal}}},
        },
        "ReturnValues": "NONE",  # nothing read back on success
    }
