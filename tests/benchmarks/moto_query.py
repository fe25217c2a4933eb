"""What moto's Query costs on a table of many jobs, with and without local_stack.moto_speed's
`speed:dynamodb-sort-keys` (keys converted once per sort), side by side in one run (compare the ratios: this
machine is noisy). Two Queries alternate, as List and the workflow send them: a page of an account's jobs on an
index, and one job by its key.
    .venv/bin/python tests/benchmarks/moto_query.py [items]
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from local_stack import moto_speed  # noqa: E402

ROUNDS = 40


def main(items: int) -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="jobs", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind}
                                  for name, kind in (("AccountId", "S"), ("JobId", "S"), ("Submitted", "N"))],
            KeySchema=[{"AttributeName": "AccountId", "KeyType": "HASH"}, {"AttributeName": "JobId", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "by-submitted", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
                {"AttributeName": "AccountId", "KeyType": "HASH"}, {"AttributeName": "Submitted", "KeyType": "RANGE"}]}],
        )
        for n in range(items):
            dynamodb.put_item(TableName="jobs", Item={
                "AccountId": {"S": f"{n % 2:012d}"}, "JobId": {"S": f"{n:032x}"}, "Submitted": {"N": str(1.7e9 + n)}})

        def per_query() -> float:
            started = time.perf_counter()
            for _ in range(ROUNDS):
                dynamodb.query(TableName="jobs", IndexName="by-submitted", KeyConditionExpression="AccountId = :a",
                               ExpressionAttributeValues={":a": {"S": f"{1:012d}"}}, Limit=26, ScanIndexForward=False)
                dynamodb.query(TableName="jobs", KeyConditionExpression="AccountId = :a AND JobId = :j",
                               ExpressionAttributeValues={":a": {"S": f"{1:012d}"}, ":j": {"S": f"{1:032x}"}})
            return (time.perf_counter() - started) / ROUNDS / 2 * 1000

        before = per_query()
        undo = moto_speed.dynamodb_sort_keys_converted_once()
        patched = per_query()
        undo()
        after = per_query()
    moto = (before + after) / 2
    print(f"Query on a table of {items:,} items, ms per Query: moto {moto:.1f} (before {before:.1f}, after {after:.1f}), "
          f"with speed:dynamodb-sort-keys {patched:.1f} ({patched / moto:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
