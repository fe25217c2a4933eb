"""The baseline handler of `make bench`: boto3 alone, one DynamoDB client made at import, and Stop's
conditional UpdateItem written by hand. Whatever the API function costs beyond this is its own.

The event is the API's (HTTP API v2, AWS JSON 1.1 body with the JobId); the table is JOBS_TABLE_NAME.
"""

import json
import os
import time

import boto3

TABLE = os.environ["JOBS_TABLE_NAME"]
dynamodb = boto3.client("dynamodb")


def stop_request(table: str, account: str, job_id: str) -> dict:
    """Stop's conditional UpdateItem, as the store sends it (also `make bench`'s emulator-port reference)."""
    return {
        "TableName": table,
        "Key": {"AccountId": {"S": account}, "JobId": {"S": job_id}},
        "UpdateExpression": "SET #s = :requested, #t = :now",
        "ConditionExpression": "attribute_exists(#id) AND #s IN (:submitted, :running)",
        "ExpressionAttributeNames": {"#s": "JobStatus", "#t": "StopRequestedTime", "#id": "JobId"},
        "ExpressionAttributeValues": {
            ":requested": {"S": "STOP_REQUESTED"}, ":now": {"N": str(time.time())},
            ":submitted": {"S": "SUBMITTED"}, ":running": {"S": "IN_PROGRESS"},
        },
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        "ReturnValues": "NONE",  # as the store asks: nothing read back on success
    }


def handler(event: dict, context: object) -> dict:
    account = event["requestContext"]["authorizer"]["iam"]["accountId"]
    job_id = json.loads(event["body"])["JobId"]
    try:
        dynamodb.update_item(**stop_request(TABLE, account, job_id))
        status = "STOP_REQUESTED"
    except dynamodb.exceptions.ConditionalCheckFailedException as failed:
        status = failed.response.get("Item", {}).get("JobStatus", {}).get("S", "")
    return {"statusCode": 200, "body": json.dumps({"JobId": job_id, "JobStatus": status})}
