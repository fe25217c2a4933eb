"""Canaries: moto as it is, without local_stack's patches, still behaving the way each patch works around.

Each patch of local_stack.patches names one of these tests. The day moto fixes a behaviour, its canary
fails: then the patch (and the canary) go. Here moto runs bare (the session's patched stack is
suspended for this module), in-process, as `make run` configures it.
"""

import copy
import inspect
import io
import json
import logging
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from local_stack import patches
from local_stack.stack import MOTO_CONFIG
from tests.support.stack import ACCOUNT, REGION, SESSION

ONE_TRY = Config(retries={"max_attempts": 1})
STREAMS = Config(account_id_endpoint_mode="disabled")  # botocore 1.44 would send stream ARNs to <account>.streams-ddb...


@pytest.fixture(scope="module")
def bare_moto() -> Iterator[None]:
    SESSION.suspend()  # one moto per process: the patched stack is provisioned again by the next test needing it
    with mock_aws(config=MOTO_CONFIG):  # type: ignore[call-overload]
        yield


def test_every_patch_names_a_canary_of_this_module() -> None:
    canaries = {name for name, value in globals().items() if name.startswith("test_") and callable(value)}
    for patch in patches.ALL:
        assert not patch.canary or patch.canary in canaries, f"{patch.name}: no canary {patch.canary}"
    hooks = {patch.name for patch in patches.LOCAL_HOOKS}
    assert {patch.name for patch in patches.ALL if not patch.canary} == hooks  # only the process's own hooks have none


def _role(name: str = "canary") -> str:
    return str(boto3.client("iam", region_name=REGION).create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"])


def _map(reader: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemReader": reader, "End": True, **extra,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})


def test_an_item_reader_of_json_lines_is_refused(bare_moto: None) -> None:
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
              "Parameters": {"Bucket": "b", "Key": "k"}}
    with pytest.raises(ClientError, match="'JSONL' is not a valid InputTypeValue"):
        boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="jsonl", definition=_map(reader), roleArn=_role("jsonl"))


def test_the_distributed_map_recurses_per_item_and_ignores_failure_tolerance(bare_moto: None, caplog: Any) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )

    # each next item is taken by the worker calling itself (RecursionError after ~990 items)
    assert "self._eval_pool(" in inspect.getsource(DistributedItemProcessorWorker._eval_pool)
    # and moto says it ignores a Map's failure tolerance
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
              "Parameters": {"Bucket": "b", "Key": "k"}}
    with caplog.at_level(logging.WARNING):
        boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="tolerance", definition=_map(reader, ToleratedFailureCount=1), roleArn=_role("tolerance"))
    assert "declarations currently have no effect" in caplog.text


def test_lambda_without_docker_echoes_the_payload(bare_moto: None) -> None:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return 'ran'\n")
    lambda_ = boto3.client("lambda", region_name=REGION)
    lambda_.create_function(FunctionName="echo", Runtime="python3.13", Role=_role("echo"), Handler="handler.handle",
                            Code={"ZipFile": code.getvalue()})
    assert lambda_.invoke(FunctionName="echo", Payload=b'{"hello": 1}')["Payload"].read() == b'{"hello": 1}'


def test_a_cancelled_transaction_leaves_open_stream_iterators_on_a_dead_shard(bare_moto: None) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    # requests are applied without a lock (the patch serializes them)
    assert "lock" not in inspect.getsource(DynamoDBBackend).lower()
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=STREAMS)
    dynamodb.create_table(TableName="canary", KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                          StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    dynamodb.put_item(TableName="canary", Item={"Id": {"S": "a"}})
    stream = dynamodb.describe_table(TableName="canary")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    iterator = streams.get_records(ShardIterator=iterator)["NextShardIterator"]
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": "canary", "Item": {"Id": {"S": "undone"}}}},
            {"ConditionCheck": {"TableName": "canary", "Key": {"Id": {"S": "a"}},
                                "ConditionExpression": "attribute_not_exists(Id)"}},
        ])
    dynamodb.put_item(TableName="canary", Item={"Id": {"S": "after"}})
    # the reader sees the undone write, and never the one after it (it went to the restored copy's shard)
    keys = [record["dynamodb"]["Keys"]["Id"]["S"] for record in streams.get_records(ShardIterator=iterator)["Records"]]
    assert keys == ["undone"]


def _finished_upload(s3: Any) -> str:
    s3.create_bucket(Bucket="canary-uploads")
    upload = s3.create_multipart_upload(Bucket="canary-uploads", Key="k")["UploadId"]
    part = s3.upload_part(Bucket="canary-uploads", Key="k", UploadId=upload, PartNumber=1, Body=b"x")
    s3.complete_multipart_upload(Bucket="canary-uploads", Key="k", UploadId=upload,
                                 MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
    return str(upload)


def test_a_part_of_a_finished_upload_is_a_500(bare_moto: None) -> None:
    s3 = boto3.client("s3", region_name=REGION, config=ONE_TRY)
    upload = _finished_upload(s3)
    with pytest.raises(KeyError):  # in-process, moto's KeyError itself; its server answers a 500
        s3.upload_part(Bucket="canary-uploads", Key="k", UploadId=upload, PartNumber=2, Body=b"y")


def test_a_key_deleted_during_a_listing_fails_it(bare_moto: None) -> None:
    from moto.s3.utils import _VersionedKeyStore

    store = _VersionedKeyStore()
    for key in ("a", "b", "c"):
        store[key] = key
    listing = store.items()
    next(iter(listing))
    del store["b"]
    with pytest.raises(KeyError):
        list(listing)


def test_a_deleted_objects_tags_are_kept(bare_moto: None) -> None:
    from moto.s3.models import s3_backends

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="canary-tags")
    s3.put_object(Bucket="canary-tags", Key="gone", Body=b"x")
    backend = s3_backends[ACCOUNT]["aws"]
    arn = backend.get_object("canary-tags", "gone").arn
    s3.delete_object(Bucket="canary-tags", Key="gone")
    assert arn in backend.tagger.tags


def test_a_send_counts_every_message_of_the_queue(bare_moto: None, monkeypatch: Any) -> None:
    from moto.sqs.models import Queue

    counted: list[str] = []
    original = Queue.approximate_number_of_messages
    monkeypatch.setattr(Queue, "approximate_number_of_messages",
                        property(lambda queue: counted.append(queue.name) or original.fget(queue)))  # type: ignore[attr-defined]
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="canary-send")["QueueUrl"]
    counted.clear()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert counted  # a send read the count of the queue's messages


def test_items_go_through_the_generic_serializer(bare_moto: None, monkeypatch: Any) -> None:
    from moto.core.serialize import BaseJSONSerializer, JSONSerializer

    assert "_serialize_type_map" not in vars(JSONSerializer)
    maps: list[str] = []
    original = BaseJSONSerializer._serialize_type_map

    def counting(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        maps.append(shape.value.name)
        original(self, serialized, value, shape, key)

    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_map", counting)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(TableName="canary-items", KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    dynamodb.put_item(TableName="canary-items", Item={"Id": {"S": "a"}, "M": {"M": {"x": {"N": "1"}}}})
    dynamodb.get_item(TableName="canary-items", Key={"Id": {"S": "a"}})
    assert "AttributeValue" in maps


def test_an_update_expression_is_parsed_twice_per_update(bare_moto: None, monkeypatch: Any) -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    parsed: list[str] = []
    original = vars(UpdateExpressionParser)["make"].__func__
    monkeypatch.setattr(UpdateExpressionParser, "make",
                        classmethod(lambda cls, text: parsed.append(text) or original(cls, text)))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(TableName="canary-update", KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    dynamodb.update_item(TableName="canary-update", Key={"Id": {"S": "a"}}, UpdateExpression="SET n = :n",
                         ExpressionAttributeValues={":n": {"N": "1"}})
    assert parsed == ["SET n = :n", "SET n = :n"]


def test_the_validator_deep_copies_the_tree(bare_moto: None) -> None:
    from moto.dynamodb.parsing import validators

    assert validators.deepcopy is copy.deepcopy


def test_start_execution_starts_its_worker_before_answering(bare_moto: None, monkeypatch: Any) -> None:
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    answered: list[bool] = []
    calling = [True]
    original = ExecutionWorker.start
    monkeypatch.setattr(ExecutionWorker, "start", lambda worker: answered.append(calling[0]) or original(worker))
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(name="canary-start", roleArn=_role("start"), definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    sfn.start_execution(stateMachineArn=machine)
    calling[0] = False
    assert answered == [True]  # the worker was started inside StartExecution


def test_a_response_classs_methods_are_listed_on_every_request(bare_moto: None, monkeypatch: Any) -> None:
    import moto.core.responses as responses

    listed: list[Any] = []
    original = responses.method_names_from_class
    monkeypatch.setattr(responses, "method_names_from_class", lambda clazz: listed.append(clazz) or original(clazz))
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.list_queues()
    sqs.list_queues()
    assert len(listed) >= 2


def test_iam_has_no_policy_simulator(bare_moto: None) -> None:
    with pytest.raises(NotImplementedError, match="simulate_principal_policy"):
        boto3.client("iam", region_name=REGION).simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/nobody", ActionNames=["s3:GetObject"])


def test_a_disabled_rule_still_gets_events(bare_moto: None) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="canary-disabled")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="canary-disabled", EventPattern=json.dumps({"source": ["my.app"]}), State="DISABLED")
    events.put_targets(Rule="canary-disabled", Targets=[{"Id": "q", "Arn": queue}])
    events.put_events(Entries=[{"Source": "my.app", "DetailType": "x", "Detail": "{}"}])
    assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1


def test_an_error_after_a_stop_overwrites_it(bare_moto: None) -> None:
    # moto's interpreter state of a stopped execution, then an error from the state it was evaluating
    import datetime
    import threading

    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramRunning

    environment = Environment.__new__(Environment)  # only what set_stop and set_error touch
    environment._state_mutex = threading.RLock()
    environment._frames = []
    environment.program_state_event = threading.Event()
    environment._program_state = ProgramRunning()
    environment.set_stop(stop_date=datetime.datetime.now(), cause=None, error=None)
    environment.set_error(ExecutionFailedEventDetails(error="States.Runtime", cause="'dict' object has no attribute 'region'"))
    assert isinstance(environment._program_state, ProgramError)  # the stop is lost: the execution ends FAILED


def test_a_transaction_retried_with_its_token_is_applied_again(bare_moto: None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION, config=ONE_TRY)
    dynamodb.create_table(TableName="tokens", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    write = {"TransactItems": [{"Put": {"TableName": "tokens", "Item": {"id": {"S": "a"}},
                                        "ConditionExpression": "attribute_not_exists(id)"}}],
             "ClientRequestToken": "the-same-token"}
    dynamodb.transact_write_items(**write)
    # DynamoDB answers the retry as the first (no write); moto applies it again, and its condition fails
    with pytest.raises(ClientError, match="TransactionCanceledException|ConditionalCheckFailed"):
        dynamodb.transact_write_items(**write)


def test_a_query_sorts_the_items_comparing_attribute_values(bare_moto: None, monkeypatch: Any) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    compared: list[int] = []
    original = DynamoType.__lt__
    monkeypatch.setattr(DynamoType, "__lt__", lambda self, other: compared.append(1) or original(self, other))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(TableName="canary-sort", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "N"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    for n in range(20):
        dynamodb.put_item(TableName="canary-sort", Item={"pk": {"S": f"p{n % 3}"}, "sk": {"N": str(n)}})
    compared.clear()
    dynamodb.query(TableName="canary-sort", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p1"}})
    assert len(compared) > 20  # every item of the table sorted as attribute values, not only the partition's
