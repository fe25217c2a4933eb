"""DynamoDB transactions with a ClientRequestToken, as the local stack serves them
(local_stack.moto_patches.idempotent_transactions)."""

import boto3
import pytest

from tests.support.stack import REGION


def counter(stack, value):
    return {"Update": {"TableName": stack.resolver.ref("AccountUsageTable"), "Key": {"AccountId": {"S": "idempotency"}},
                       "UpdateExpression": "ADD Running :n", "ExpressionAttributeValues": {":n": {"N": str(value)}}}}


def running(stack):
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=stack.resolver.ref("AccountUsageTable"), Key={"AccountId": {"S": "idempotency"}}, ConsistentRead=True)["Item"]
    return int(item["Running"]["N"])


def test_a_transaction_retried_with_its_token_is_not_applied_twice(stack):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    # Given a transaction that succeeded, whose answer the caller did not get
    dynamodb.transact_write_items(TransactItems=[counter(stack, 1)], ClientRequestToken="retried-after-a-timeout")

    # When the SDK sends it again with the same token (as its retry does), then with other items
    dynamodb.transact_write_items(TransactItems=[counter(stack, 1)], ClientRequestToken="retried-after-a-timeout")
    with pytest.raises(dynamodb.exceptions.IdempotentParameterMismatchException):
        dynamodb.transact_write_items(TransactItems=[counter(stack, 5)], ClientRequestToken="retried-after-a-timeout")

    # Then it was applied once (as on DynamoDB, for 10 minutes); another token is another transaction
    assert running(stack) == 1
    dynamodb.transact_write_items(TransactItems=[counter(stack, 1)], ClientRequestToken="another")
    assert running(stack) == 2
