"""The baseline handler of `make bench`: boto3 alone, one DynamoDB client made at import, and Stop's
conditional UpdateItem written by hand (stop_update.py). Whatever the API function costs beyond this is its own.

The event is the API's (HTTP API v2, AWS JSON 1.1 body with the JobId); the table is JOBS_TABLE_NAME.
"""

import json
import os

import boto3
from stop_update import stop_request

TABLE = os.environ["JOBS_TABLE_NAME"]
dynamodb = boto3.client("dynamodb")


def handler(event: dict, context: object) -> dict:
    caller = event["requestContext"]["authorizer"]["iam"]
    job_id = json.loads(event["body"])["JobId"]
    try:
        dynamodb.update_item(**stop_request(TABLE, caller["accountId"], job_id, caller["userArn"]))
        status = "STOP_REQUESTED"
    except dynamodb.exceptions.ConditionalCheckFailedException as failed:
        status = failed.response.get("Item", {}).get("JobStatus", {}).get("S", "")
    return {"statusCode": 200, "body": json.dumps({"JobId": job_id, "JobStatus": status})}
