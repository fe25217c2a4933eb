"""local_stack.moto_speed: moto made cheaper where `make run` felt it, its answers unchanged.

Each speed-up is checked two ways: moto's answers are the same as without it (counts, deduplication,
errors), and the work it removes is not done (a send no longer counts the queue's messages)."""

import re
from typing import Any

import boto3
import pytest

from tests.support.stack import REGION


def test_an_sqs_send_does_not_count_the_queue_s_messages(stack, monkeypatch):
    from moto.sqs.models import Queue

    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="speed-standard")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {n}")

    def counted(queue):
        raise AssertionError("a send counted the queue's messages")

    with monkeypatch.context() as patched:
        for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
                     "approximate_number_of_messages_not_visible"):
            patched.setattr(Queue, name, property(counted))
        sqs.send_message(QueueUrl=url, MessageBody="one more")
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}])

    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"],
            counts["ApproximateNumberOfMessagesDelayed"]) == ("5", "1", "1")


def test_a_fifo_queue_still_deduplicates_and_still_asks_for_an_id(stack):
    sqs = boto3.client("sqs", region_name=REGION)
    by_content = sqs.create_queue(QueueName="speed-content.fifo",
                                  Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=by_content, MessageBody="same", MessageGroupId="g")
    attributes = sqs.get_queue_attributes(QueueUrl=by_content, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    assert attributes["ContentBasedDeduplication"] == "true"

    by_id = sqs.create_queue(QueueName="speed-id.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError, match="MessageDeduplicationId"):
        sqs.send_message(QueueUrl=by_id, MessageBody="no id", MessageGroupId="g")
    sqs.send_message(QueueUrl=by_id, MessageBody="with id", MessageGroupId="g", MessageDeduplicationId="1")
    sqs.send_message(QueueUrl=by_id, MessageBody="with id", MessageGroupId="g", MessageDeduplicationId="1")
    assert sqs.get_queue_attributes(QueueUrl=by_id, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "1"


# An item with every attribute type DynamoDB has, in the shapes that are easy to get wrong: numbers as
# DynamoDB keeps them, binary that is not text, empty strings and binaries, sets, maps and lists in each other.
EVERY_TYPE = {
    "Id": {"S": "every-type"},
    "Text": {"S": "naïve \"quoted\" \\ text\n\t\u2603 \U0001f600"},
    "Empty": {"S": ""},
    "Integer": {"N": "-42"},
    "Decimal": {"N": "3.14159265358979323846264338327950288"},
    "Big": {"N": "1E+125"},
    "Binary": {"B": bytes(range(256))},
    "EmptyBinary": {"B": b""},
    "Strings": {"SS": ["a", "b", "\u00e9"]},
    "Numbers": {"NS": ["1", "-2.5", "100000000000000000000"]},
    "Binaries": {"BS": [b"\x00\xff", b"text"]},
    "Nothing": {"NULL": True},
    "Yes": {"BOOL": True},
    "No": {"BOOL": False},
    "Map": {"M": {
        "inner": {"M": {"deeper": {"L": [{"N": "1"}, {"S": "x"}, {"M": {}}, {"L": []}]}}},
        "empty": {"M": {}},
        "set": {"SS": ["only"]},
        "bytes": {"B": b"\x01"},
    }},
    "List": {"L": [{"S": "one"}, {"N": "2"}, {"BOOL": False}, {"NULL": True}, {"L": [{"BS": [b"z"]}]}, {"M": {"k": {"S": "v"}}}]},
    "EmptyList": {"L": []},
    "EmptyMap": {"M": {}},
}


class _RawBodies:
    """The bytes of every response the clients receive, in order, for the current round."""

    def __init__(self, *clients: Any) -> None:
        self.round: list[bytes] = []
        for client in clients:
            client.meta.events.register("after-call", self._keep)

    def _keep(self, http_response: Any, **_: Any) -> None:
        self.round.append(http_response.content)


def _read_every_way(dynamodb: Any, streams: Any, table: str, stream_arn: str) -> None:
    key = {"Id": {"S": "every-type"}}
    dynamodb.get_item(TableName=table, Key=key)
    dynamodb.query(TableName=table, KeyConditionExpression="Id = :id", ExpressionAttributeValues={":id": key["Id"]})
    dynamodb.scan(TableName=table)
    dynamodb.batch_get_item(RequestItems={table: {"Keys": [key]}})
    dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])
    set_yes = {"UpdateExpression": "SET #yes = :yes", "ExpressionAttributeValues": {":yes": {"BOOL": True}}}
    dynamodb.update_item(TableName=table, Key=key, **set_yes, ExpressionAttributeNames={"#yes": "Yes"}, ReturnValues="ALL_NEW")
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        dynamodb.update_item(TableName=table, Key=key, **set_yes, ConditionExpression="#no = :yes",
                             ExpressionAttributeNames={"#yes": "Yes", "#no": "No"}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=3)  # the records of the first round


def test_items_are_serialized_to_the_same_bytes_as_moto_s_serializer(stack, monkeypatch):
    from botocore.config import Config
    from moto.core.serialize import JSONSerializer

    from local_stack import moto_speed

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    table = "speed-every-type"
    stream_arn = dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    try:
        dynamodb.put_item(TableName=table, Item=EVERY_TYPE)
        dynamodb.put_item(TableName=table, Item={**EVERY_TYPE, "Integer": {"N": "43"}})  # a record with both images
        served_directly = []
        direct = moto_speed._attribute_map
        monkeypatch.setattr(moto_speed, "_attribute_map", lambda *args: served_directly.append(1) or direct(*args))
        bodies = _RawBodies(dynamodb, streams)
        _read_every_way(dynamodb, streams, table, stream_arn)
        fast, bodies.round = bodies.round, []

        with monkeypatch.context() as moto_only:
            moto_only.setattr(JSONSerializer, "_serialize_type_map", JSONSerializer._serialize_type_map.__wrapped__)
            _read_every_way(dynamodb, streams, table, stream_arn)
        generic, bodies.round = bodies.round, []
    finally:
        dynamodb.delete_table(TableName=table)

    assert len(served_directly) >= 9, "the direct path served none or few of the items"
    assert len(fast) == len(generic) == 10
    for ours, theirs in zip(fast, generic, strict=True):  # a shard iterator is new each time: the rest is compared
        assert re.sub(rb'ShardIterator": "[^"]*"', b"", ours) == re.sub(rb'ShardIterator": "[^"]*"', b"", theirs)
    assert b"every-type" in fast[-1] and b"NewImage" in fast[-1] and b"OldImage" in fast[-1]  # GetRecords


def test_an_update_expression_is_parsed_once_and_applied_with_each_request_s_values(stack, monkeypatch):
    from moto.dynamodb.parsing.tokens import ExpressionTokenizer

    expression = "SET #count = :count, speed_note = :note"
    parsed: list[str] = []
    tokenize = ExpressionTokenizer.make_list
    monkeypatch.setattr(ExpressionTokenizer, "make_list",
                        classmethod(lambda cls, text: parsed.append(text) or tokenize(text)))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = stack.resolver.refs["JobsTable"]
    key = {"AccountId": {"S": "111122223333"}, "JobId": {"S": "speed-parse"}}
    for count in range(3):
        new = dynamodb.update_item(TableName=table, Key=key, UpdateExpression=expression,
                                   ExpressionAttributeNames={"#count": "SpeedCount"}, ReturnValues="ALL_NEW",
                                   ExpressionAttributeValues={":count": {"N": str(count)}, ":note": {"S": f"note {count}"}})
        assert (new["Attributes"]["SpeedCount"], new["Attributes"]["speed_note"]) == ({"N": str(count)}, {"S": f"note {count}"})
    assert parsed.count(expression) <= 1
    for _ in range(2):  # a malformed expression is refused every time (errors are not kept)
        with pytest.raises(dynamodb.exceptions.ClientError, match="Invalid UpdateExpression"):
            dynamodb.update_item(TableName=table, Key=key, UpdateExpression="SET speed_note = = :note",
                                 ExpressionAttributeValues={":note": {"S": "x"}})


def test_a_response_class_s_methods_are_listed_once(stack):
    import moto.core.responses as responses
    from moto.core.utils import method_names_from_class as listed_by_moto
    from moto.dynamodb.responses import DynamoHandler
    from moto.sqs.responses import SQSResponse

    for handler in (DynamoHandler, SQSResponse):
        assert responses.method_names_from_class(handler) == listed_by_moto(handler)
        assert responses.method_names_from_class(handler) is responses.method_names_from_class(handler)
    boto3.client("dynamodb", region_name=REGION).list_tables()
    boto3.client("sqs", region_name=REGION).list_queues()


# Update expressions of every kind moto's grammar has, and ones its validator must refuse.
UPDATES = [
    ("SET #n = :n, plain = :s", {"#n": "Count"}, {":n": {"N": "1"}, ":s": {"S": "x"}}),
    ("SET #n = #n + :n, listed = list_append(if_not_exists(listed, :empty), :l)", {"#n": "Count"},
     {":n": {"N": "2"}, ":l": {"L": [{"S": "a"}]}, ":empty": {"L": []}}),
    ("SET nested = :m", None, {":m": {"M": {"a": {"M": {"b": {"L": [{"N": "1"}, {"N": "2"}]}}}}}}),
    ("SET nested.a.b[1] = :v, nested.c = :v REMOVE plain", None, {":v": {"N": "7"}}),
    ("ADD tags :t, #n :n DELETE gone :g", {"#n": "Count"}, {":t": {"SS": ["x", "y"]}, ":n": {"N": "-1"}, ":g": {"SS": ["z"]}}),
    ("REMOVE listed[0], nested.a", None, None),
    ("SET a = :v, a = :v", None, {":v": {"N": "1"}}),  # two paths overlap
    ("SET a = :v SET b = :v", None, {":v": {"N": "1"}}),  # two SET clauses
    ("SET Id = :v", None, {":v": {"S": "other"}}),  # the key
    ("SET a = :missing", None, {":v": {"N": "1"}}),  # an undefined value
    ("SET a = #missing", None, None),  # an undefined name
    ("SET a = nothing_here + :v", None, {":v": {"N": "1"}}),  # a path the item does not have
    ("SET a = tags + :v", None, {":v": {"N": "1"}}),  # arithmetic on a set
    ("ADD plain :v", None, {":v": {"N": "1"}}),  # ADD to a string
]


def _tree(node: Any, seen: dict[int, int] | None = None) -> Any:
    """A tree's nodes as nested tuples, parents as the position they were first met at."""
    from moto.dynamodb.parsing.ast_nodes import Node

    seen = {} if seen is None else seen
    if isinstance(node, list):
        return [_tree(each, seen) for each in node]
    if not isinstance(node, Node):
        return node
    seen.setdefault(id(node), len(seen))
    return (type(node).__name__, tuple(
        (name, seen.get(id(value), "outside") if name == "parent" and value is not None else _tree(value, seen))
        for name, value in sorted(vars(node).items())))


@pytest.mark.long
def test_the_validator_s_copy_of_a_tree_is_the_copy_deepcopy_makes(stack):
    import copy

    from moto.dynamodb.parsing.ast_nodes import Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    from local_stack.moto_speed import clone_tree

    for expression, _, _ in UPDATES:
        tree = UpdateExpressionParser.make(expression)
        cloned, deep = clone_tree(tree), copy.deepcopy(tree)
        assert _tree(cloned) == _tree(deep), expression
        originals, copies = [], []
        for root, into in ((tree, originals), (cloned, copies)):
            stack_ = [root]
            while stack_:
                node = stack_.pop()
                if isinstance(node, Node):
                    into.append(id(node))
                    stack_.extend(node.children or [])
        assert len(copies) == len(originals) > 3 and not set(copies) & set(originals), expression


def _apply_updates(dynamodb: Any, table: str) -> list[Any]:
    """Each update's outcome (the item after it, or its error) on a fresh item."""
    outcomes = []
    for index, (expression, names, values) in enumerate(UPDATES):
        key = {"Id": {"S": f"item-{index}"}}
        dynamodb.put_item(TableName=table, Item={**key, "Count": {"N": "5"}, "plain": {"S": "p"}, "tags": {"SS": ["x", "z"]},
                                                  "listed": {"L": [{"S": "first"}]},
                                                  "nested": {"M": {"a": {"M": {"b": {"L": [{"N": "1"}, {"N": "2"}]}}}}}})
        request = {"TableName": table, "Key": key, "UpdateExpression": expression, "ReturnValues": "ALL_NEW"}
        request |= {"ExpressionAttributeNames": names} if names else {}
        request |= {"ExpressionAttributeValues": values} if values else {}
        try:
            outcomes.append(dynamodb.update_item(**request)["Attributes"])
        except dynamodb.exceptions.ClientError as error:
            outcomes.append(error.response["Error"])
    return outcomes


def test_update_expressions_validated_faster_give_moto_s_items_and_errors(stack, monkeypatch):
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = "speed-validation"
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    try:
        assert DepthFirstTraverser.traverse is not DepthFirstTraverser.traverse.__wrapped__  # the patch is installed
        fast = _apply_updates(dynamodb, table)
        with monkeypatch.context() as moto_only:
            moto_only.setattr(validators, "deepcopy", __import__("copy").deepcopy)
            moto_only.setattr(DepthFirstTraverser, "traverse", DepthFirstTraverser.traverse.__wrapped__)
            moto_only.setattr(Node, "find_clauses", Node.find_clauses.__wrapped__)
            generic = _apply_updates(dynamodb, table)
    finally:
        dynamodb.delete_table(TableName=table)

    assert fast == generic
    refused = [outcome for outcome in fast if "Code" in outcome]
    assert len(refused) == 8 and {outcome["Code"] for outcome in refused} == {"ValidationException"}, refused
    assert fast[1]["Count"] == {"N": "7"} and fast[1]["listed"] == {"L": [{"S": "first"}, {"S": "a"}]}


def test_items_are_sorted_for_a_query_in_the_order_moto_s_comparisons_give(stack):
    """speed:dynamodb-sort-keys: the same order as moto's own keys (its attribute values compared), on a table
    and an index whose keys repeat, are numbers (10 before 9) and strings."""
    import random

    from moto.dynamodb.models import dynamodb_backends

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="sorting", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind}
                              for name, kind in (("pk", "S"), ("sk", "N"), ("g", "S"), ("gs", "N"))],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-g", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "gs", "KeyType": "RANGE"}]}],
    )
    chosen = random.Random(7)
    for _ in range(300):
        dynamodb.put_item(TableName="sorting", Item={
            "pk": {"S": f"p{chosen.randrange(20)}"}, "sk": {"N": str(chosen.randrange(-50, 50) / 4)},
            "g": {"S": chosen.choice("ab")}, "gs": {"N": str(chosen.randrange(12))},
        })
    table = dynamodb_backends[stack.resolver.account_id][REGION].get_table("sorting")
    assert type(table).all_items.__module__ == "local_stack.moto_speed"  # the patched sort is the one compared
    items = [item for hash_set in table.items.values() for item in hash_set.values()]

    assert table.all_items() == sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)
    index_keys = table._generate_attr_to_sort_by(["g", "pk"], ["gs", "sk"])
    expected = sorted(items, key=lambda x: tuple([x.attrs[key] for key in index_keys]))
    assert table.sorted_items(["g", "pk"], ["gs", "sk"], list(reversed(items))) == expected
    pages = dynamodb.get_paginator("query").paginate(
        TableName="sorting", IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "a"}},
        PaginationConfig={"PageSize": 7})
    got = [(item["gs"]["N"], item["pk"]["S"], item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert got == [(x.attrs["gs"].value, x.attrs["pk"].value, x.attrs["sk"].value) for x in expected if x.attrs["g"].value == "a"]
