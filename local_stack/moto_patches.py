"""Where moto differs from AWS in a way this service's correctness depends on, and the fix.

moto (5.2.5) applies DynamoDB requests without a lock: two threads' conditional UpdateItems
(parallel Map iterations adding their batch counts, Stop racing finalize) can both pass their
conditions, and one update is lost. DynamoDB applies each single-item request atomically, so
the local stack and the tests serialize moto's DynamoDB requests, the building of each response
included (moto serializes the live stored item, which a concurrent write may be changing: "dictionary
changed size during iteration"). Undo with the returned function.

moto also rolls a cancelled transaction back by replacing each table with a copy taken before it.
The copy has its own stream shard, while every open shard iterator (the stream's reader) keeps the
old one: after one cancelled transaction (an idempotent retry of Start, a refused quota) the
reader never sees another record. A cancelled transaction here keeps each table object and its
shard, restores the items and drops the stream records of the undone writes: as on DynamoDB, it
leaves no trace.
"""

import functools
import threading
from collections.abc import Callable
from typing import Any

DYNAMODB_METHODS = ["get_item", "put_item", "update_item", "delete_item", "transact_write_items", "query", "scan"]
# Held by every DynamoDB request, by stream reads and by local_stack.retention when it trims a stream.
DYNAMODB_LOCK = threading.RLock()


def atomic_moto_dynamodb() -> Callable[[], None]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard
    from moto.dynamodb.responses import DynamoHandler

    lock = DYNAMODB_LOCK
    originals = {name: getattr(DynamoDBBackend, name) for name in DYNAMODB_METHODS}
    original_stream_get = StreamShard.get
    original_call_action = DynamoHandler.call_action

    def locked(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return wrapper

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, locked(method))
    DynamoDBBackend.transact_write_items = locked(_rollback_in_place(originals["transact_write_items"]))  # type: ignore[method-assign]
    StreamShard.get = locked(original_stream_get)  # type: ignore[method-assign]
    DynamoHandler.call_action = locked(original_call_action)  # type: ignore[method-assign]

    def undo() -> None:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)
        StreamShard.get = original_stream_get  # type: ignore[method-assign]
        DynamoHandler.call_action = original_call_action  # type: ignore[method-assign]

    return undo


def _rollback_in_place(transact_write_items: Any) -> Any:
    @functools.wraps(transact_write_items)
    def wrapper(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        live = dict(backend.tables)
        records = {name: len(table.stream_shard.items) for name, table in live.items() if table.stream_shard}
        try:
            return transact_write_items(backend, transact_items)
        except Exception:
            for name, table in live.items():
                restored = backend.tables.get(name)
                if restored is None or restored is table:
                    continue
                table.items = restored.items  # moto's copy from before the transaction
                backend.tables[name] = table
                if name in records:
                    del table.stream_shard.items[records[name]:]
            raise

    return wrapper


def iterative_distributed_map() -> Callable[[], None]:
    """moto's Distributed Map worker takes each next item by calling itself: a worker thread dies with
    RecursionError after about 990 items and the execution stays RUNNING forever (a local job of more
    than ~4,000 batches hung). The same steps, as a loop. Undo with the returned function."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )

    original = DistributedItemProcessorWorker._eval_pool

    def eval_pool(self: Any, job: Any, worker_frame: Any) -> None:
        while job is not None:
            job_frame = worker_frame.open_inner_frame()
            self._eval_job(env=job_frame, job=job)
            worker_frame.delete_frame(job_frame)
            next_job = None if isinstance(job.job_output, Exception) or self.stopped() else self._job_pool.next_job()
            # As moto does: the worker's frame is closed before its last job, so the Map sees every job end.
            if next_job is None:
                self._env.delete_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            self._job_pool.close_job(job)
            job = next_job
        self._env.delete_frame(worker_frame)

    DistributedItemProcessorWorker._eval_pool = eval_pool  # type: ignore[method-assign]

    def undo() -> None:
        DistributedItemProcessorWorker._eval_pool = original  # type: ignore[method-assign]

    return undo


def json_lines_item_reader() -> Callable[[], None]:
    """A Distributed Map's ItemReader with ``ReaderConfig: {"InputType": "JSONL"}`` reads an S3 object
    of JSON Lines, one item a line (AWS has it; moto 5.2.5 knows only CSV and JSON and refuses the
    state machine). The job's batch manifest is JSON Lines. Undo with the returned function."""
    import json

    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader import item_reader_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_output_transformer.transformer import (  # noqa: E501
        ResourceOutputTransformer,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.reader_config.input_type import (
        InputType,
        InputTypeValue,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    class JsonLines(ResourceOutputTransformer):
        def _eval_body(self, env: Any) -> None:
            reader_config = env.stack.pop()
            content: str = env.stack.pop()
            try:
                items = [json.loads(line) for line in content.splitlines() if line.strip()]
            except ValueError as exc:
                error = StatesErrorName(typ=StatesErrorNameType.StatesItemReaderFailed)
                raise FailureEventException(FailureEvent(
                    env=env, error_name=error, event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(mapRunFailedEventDetails=MapRunFailedEventDetails(  # type: ignore[typeddict-item]
                        error=error.error_name, cause=f"A line of the JSONL object is not JSON: {exc}")),
                )) from exc
            env.stack.append(items[: reader_config["MaxItemsValue"]])

    original_init = InputType.__init__
    original_factory = item_reader_decl.resource_output_transformer_for

    def init(self: Any, input_type: str) -> None:
        self.input_type_value = "JSONL" if input_type == "JSONL" else InputTypeValue(input_type)

    def factory(input_type: Any) -> Any:
        return JsonLines() if input_type.input_type_value == "JSONL" else original_factory(input_type)

    InputType.__init__ = init  # type: ignore[method-assign]
    item_reader_decl.resource_output_transformer_for = factory

    def undo() -> None:
        InputType.__init__ = original_init  # type: ignore[method-assign]
        item_reader_decl.resource_output_transformer_for = original_factory

    return undo


def s3_no_such_upload() -> Callable[[], None]:
    """UploadPart and CompleteMultipartUpload of an upload that is gone (completed or aborted) answer
    404 NoSuchUpload on AWS; moto 5.2.5 fails with a KeyError, an HTTP 500 that a client retries as a
    server error. A retried PlanBatches relies on the 404 (s3_stream). Undo with the returned function."""
    from moto.s3.exceptions import NoSuchUpload
    from moto.s3.models import S3Backend

    originals = {name: getattr(S3Backend, name) for name in ("upload_part", "complete_multipart_upload")}

    def checked(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(self: Any, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
            if multipart_id not in self.get_bucket(bucket_name).multiparts:
                raise NoSuchUpload(upload_id=multipart_id)
            return method(self, bucket_name, multipart_id, *args, **kwargs)

        return wrapper

    for name, method in originals.items():
        setattr(S3Backend, name, checked(method))

    def undo() -> None:
        for name, method in originals.items():
            setattr(S3Backend, name, method)

    return undo
