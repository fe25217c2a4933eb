"""Where moto differs from AWS in a way this service's correctness depends on, and the fix. Each install
returns its undo; local_stack.patches names the moto behaviour each works around and its canary."""

import contextlib
import copy
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

# DynamoDBBackend methods run under DYNAMODB_LOCK (transact_write_items too: _rollback_in_place takes it).
DYNAMODB_METHODS = ["get_item", "put_item", "update_item", "delete_item", "query", "scan"]
# Held by every DynamoDB request, by stream reads and by local_stack.retention when it trims a stream.
DYNAMODB_LOCK = threading.RLock()


def replace(*changes: tuple[Any, str, Any]) -> contextlib.ExitStack:
    """Set each (owner, attribute) to its value with unittest.mock's patch.object (already loaded by moto):
    the returned stack's ``close`` puts back what each owner held (an inherited attribute is deleted again)."""
    undo = contextlib.ExitStack()
    for owner, name, value in changes:
        undo.enter_context(mock.patch.object(owner, name, value))
    return undo


def wrap(owner: Any, name: str, wrapper: Callable[..., Any]) -> tuple[Any, str, Any]:
    """For ``replace``: owner's ``name`` made to call ``wrapper(original, *args, **kwargs)``."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def method(*args: Any, **kwargs: Any) -> Any:
        return wrapper(original, *args, **kwargs)

    return owner, name, method


def _locked(original: Any, *args: Any, **kwargs: Any) -> Any:
    with DYNAMODB_LOCK:
        return original(*args, **kwargs)


def atomic_moto_dynamodb() -> Callable[[], None]:
    """DynamoDB applies each single-item request atomically; moto 5.2.5 takes no lock, so two threads' conditional
    UpdateItems (parallel Map iterations adding their batch counts, Stop racing finalize) could both pass. Its
    requests are serialized here, the building of each response included (moto serializes the live stored item:
    "dictionary changed size during iteration"), and a cancelled transaction is rolled back in place."""
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard, Table
    from moto.dynamodb.responses import DynamoHandler

    class KeepTables:  # moto's `copy` in moto.dynamodb.models: tables are not copied, anything else is
        @staticmethod
        def deepcopy(value: Any) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value)

    return replace(*(wrap(DynamoDBBackend, name, _locked) for name in DYNAMODB_METHODS),
                   wrap(DynamoDBBackend, "transact_write_items", _rollback_in_place),
                   (dynamodb_models, "copy", KeepTables), wrap(StreamShard, "get", _locked),
                   wrap(DynamoHandler, "call_action", _locked)).close


def _rollback_in_place(transact_write_items: Any, backend: Any, transact_items: list[dict[str, Any]]) -> Any:
    """moto deep-copies every table a transaction touches (a job's every batch counts in one: a local job became
    quadratic) and, if it fails, puts the copies back, each with a new stream shard no open iterator sees (after an
    idempotent retry of Start the stream's reader never saw another record). Here, under the lock, only the items
    the transaction names are saved, and put back if it fails, the stream's new records dropped."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    with DYNAMODB_LOCK:
        saved = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None or op_type == "ConditionCheck":
                continue
            key = op["Item"] if op_type == "Put" else op["Key"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            saved.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
        records = {id(table): len(table.stream_shard.items) for table, *_ in saved if table.stream_shard}
        try:
            return transact_write_items(backend, transact_items)
        except Exception:
            for table, hash_value, range_value, old in reversed(saved):
                holder = table.items[hash_value] if range_value is not None else table.items
                where = range_value if range_value is not None else hash_value
                if old is None:
                    holder.pop(where, None)
                else:
                    holder[where] = old
                if range_value is not None and not table.items[hash_value]:
                    del table.items[hash_value]
                if id(table) in records:
                    del table.stream_shard.items[records[id(table)]:]
            raise


def iterative_distributed_map() -> Callable[[], None]:
    """moto's Distributed Map, made to behave as AWS's.

    * moto's worker took each next item by calling itself (a local job of more than ~4,000 batches hung):
      the same steps, as a loop.
    * As on AWS, once its failed items exceed ToleratedFailureCount / ToleratedFailurePercentage (0 when
      neither is given), no further item starts; the running ones end (an invoked Lambda is not
      interrupted on AWS either), then the Map Run fails with States.ExceedToleratedFailureThreshold.
      Installed before the state machine is parsed, moto's warning that they "have no effect" goes too.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job import JobPool

    def eval_pool(self: Any, job: Any, worker_frame: Any) -> None:
        while job is not None:
            job_frame = worker_frame.open_inner_frame()
            self._eval_job(env=job_frame, job=job)
            worker_frame.delete_frame(job_frame)
            if _tolerance_exceeded(self._map_run_record):
                _abort(self._job_pool, worker_frame)
            next_job = None if isinstance(job.job_output, Exception) or self.stopped() else self._job_pool.next_job()
            # As moto does: the worker's frame is closed before its last job, so the Map sees every job end.
            if next_job is None:
                self._env.delete_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            self._job_pool.close_job(job)
            job = next_job
        self._env.delete_frame(worker_frame)

    def get_worker_exception(original: Any, self: Any) -> Exception | None:
        return original(self) or getattr(self, "aborted_with", None)

    def takes_effect(record: logging.LogRecord) -> bool:
        return "declarations currently have no effect" not in record.getMessage()

    parser_log = logging.getLogger("moto.stepfunctions.parser.asl.parse.preprocessor")
    undo = replace((DistributedItemProcessorWorker, "_eval_pool", eval_pool),
                   wrap(JobPool, "get_worker_exception", get_worker_exception))
    parser_log.addFilter(takes_effect)
    undo.callback(parser_log.removeFilter, takes_effect)
    return undo.close


def _tolerance_exceeded(record: Any) -> bool:
    """AWS's rule: failed items above the count, or above the percentage of the items so far.

    moto gives 0 for a field the definition left out, so a 0 is "not given" unless both are 0
    (AWS's default: no failure tolerated)."""
    failed = record.item_counter.failed.get() + record.item_counter.timed_out.get()
    count, percentage = record.tolerated_failure_count, record.tolerated_failure_percentage
    if not count and not percentage:
        return failed > 0
    total = max(record.item_counter.total.get(), 1)
    return bool((count and failed > count) or (percentage and 100 * failed / total > percentage))


def _abort(pool: Any, env: Any) -> None:
    """No further item starts; the pool ends when the started ones end, with AWS's Map Run error."""
    error = _failure(env, "StatesExceedToleratedFailureThreshold", "MapRunFailed", "executionFailedEventDetails",
                     "The specified tolerated failure threshold was exceeded")
    with pool._mutex:
        if getattr(pool, "aborted_with", None) is not None:
            return
        pool.aborted_with = error
        pool._jobs_number -= len(pool._open_jobs)  # the pool now ends when the started items have
        pool._open_jobs.clear()


def _failure(env: Any, name: str, event_type: str, details: str, cause: str) -> Exception:
    """moto's exception for the States error ``name`` (a StatesErrorNameType), recorded as ``event_type``."""
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    error = StatesErrorName(typ=StatesErrorNameType[name])
    event_details = EventDetails(**{details: {"error": error.error_name, "cause": cause}})  # type: ignore[misc]
    return FailureEventException(FailureEvent(env=env, error_name=error, event_type=HistoryEventType[event_type],
                                              event_details=event_details))


def json_lines_item_reader() -> Callable[[], None]:
    """A Distributed Map's ItemReader with ``ReaderConfig: {"InputType": "JSONL"}`` reads an S3 object
    of JSON Lines, one item a line (AWS has it; moto 5.2.5 knows only CSV and JSON and refuses the
    state machine). The job's batch manifest is JSON Lines."""
    import json

    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader import item_reader_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_output_transformer.transformer import (  # noqa: E501
        ResourceOutputTransformer,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.reader_config.input_type import (
        InputType,
        InputTypeValue,
    )

    class JsonLines(ResourceOutputTransformer):
        def _eval_body(self, env: Any) -> None:
            reader_config = env.stack.pop()
            content: str = env.stack.pop()
            try:
                items = [json.loads(line) for line in content.splitlines() if line.strip()]
            except ValueError as exc:
                raise _failure(env, "StatesItemReaderFailed", "TaskFailed", "mapRunFailedEventDetails",
                               f"A line of the JSONL object is not JSON: {exc}") from exc
            env.stack.append(items[: reader_config["MaxItemsValue"]])

    def init(self: Any, input_type: str) -> None:
        self.input_type_value = "JSONL" if input_type == "JSONL" else InputTypeValue(input_type)

    def factory(original: Any, input_type: Any) -> Any:
        return JsonLines() if input_type.input_type_value == "JSONL" else original(input_type)

    return replace((InputType, "__init__", init), wrap(item_reader_decl, "resource_output_transformer_for", factory)).close


def s3_no_such_upload() -> Callable[[], None]:
    """UploadPart and CompleteMultipartUpload of an upload that is gone (completed or aborted) answer
    404 NoSuchUpload on AWS; moto 5.2.5 fails with a KeyError, an HTTP 500 that a client retries as a
    server error. A retried PlanBatches relies on the 404 (s3_stream)."""
    from moto.s3.exceptions import NoSuchUpload
    from moto.s3.models import S3Backend

    def checked(original: Any, self: Any, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
        if multipart_id not in self.get_bucket(bucket_name).multiparts:
            raise NoSuchUpload(upload_id=multipart_id)
        return original(self, bucket_name, multipart_id, *args, **kwargs)

    return replace(*(wrap(S3Backend, name, checked) for name in ("upload_part", "complete_multipart_upload"))).close


def s3_listing_during_deletes() -> Callable[[], None]:
    """moto 5.2.5 lists a bucket's keys from a copy of its key store (for concurrency), then reads each
    key back from the store itself: a key deleted meanwhile by another thread (local_stack.retention
    dropping a finished job's work files) fails the listing with a KeyError, an HTTP 500. S3 lists
    what it finds. Here the listing reads the copy's own versions."""
    from moto.s3.utils import _VersionedKeyStore

    patched: dict[str, Callable[[Any], Any]] = {  # each an iterator over the copy, as moto's over the store
        "items": lambda store: ((key, versions[-1]) for key, versions in store._self_iterable().items()),
        "values": lambda store: (versions[-1] for versions in store._self_iterable().values()),
        "lists": lambda store: iter(store._self_iterable().items()),
    }
    names = ("items", "iteritems", "values", "itervalues", "lists", "iterlists")  # iteritems is items, and so on
    return replace(*((_VersionedKeyStore, name, patched[name.removeprefix("iter")]) for name in names)).close


def s3_tags_deleted_with_their_object() -> Callable[[], None]:
    """On S3 an object's tags go with it; moto 5.2.5 keeps a tag set (empty when it has none) for every object ever
    put: ~5,500 per 5,000-document job in `make run`. Here deleting the current object of an unversioned bucket
    drops its tags (a versioned bucket keeps its versions, and their tags)."""
    from moto.s3.models import FakeKey, S3Backend

    def delete_object(original: Any, self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        bucket = self.get_bucket(bucket_name)
        key = None if bucket.is_versioned else bucket.keys.get(key_name)
        result = original(self, bucket_name, key_name, *args, **kwargs)
        if isinstance(key, FakeKey) and bucket.keys.get(key_name) is None:
            self.tagger.delete_all_tags_for_resource(key.arn)
        return result

    return replace(wrap(S3Backend, "delete_object", delete_object)).close


def stopped_executions_stay_aborted() -> Callable[[], None]:
    """As on AWS, an execution stopped by StopExecution ends ABORTED, whatever its interpreter does next. moto 5.2.5
    prunes a stopped execution's state mid-way, leaving its stack short, and the error that follows overwrote the
    stop: FAILED (States.Runtime), which the reconciler reported as a failure."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    def set_error(original: Any, self: Any, error: Any) -> None:
        if not isinstance(self._program_state, ProgramStopped):
            original(self, error)

    return replace(wrap(Environment, "set_error", set_error)).close


IDEMPOTENCY_WINDOW_SECONDS = 600  # DynamoDB: "a client token is valid for 10 minutes after the first request"


def idempotent_transactions() -> Callable[[], None]:
    """TransactWriteItems with a ClientRequestToken, as DynamoDB: within 10 minutes of a transaction that succeeded,
    the same token with the same items succeeds again without writing; with other items, it is refused
    (IdempotentParameterMismatchException). An SDK retry (botocore fills the token in and resends it) of a transaction
    whose answer was lost failed its conditions, or counted twice. The tokens are kept on the DynamoDB backend (so a
    kept state keeps them)."""
    import hashlib
    import json
    import time

    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.responses import DynamoHandler

    def transact_write_items(original: Any, handler: Any) -> Any:
        token = handler.body.get("ClientRequestToken")
        if not token:
            return original(handler)
        backend, now = handler.dynamodb_backend, time.time()
        seen: dict[str, tuple[float, str, Any]] = backend.__dict__.setdefault("client_request_tokens", {})
        while seen and next(iter(seen.values()))[0] < now - IDEMPOTENCY_WINDOW_SECONDS:  # oldest first
            seen.pop(next(iter(seen)))
        items = hashlib.sha256(json.dumps(handler.body["TransactItems"], sort_keys=True).encode()).hexdigest()
        if token in seen:
            if seen[token][1] != items:
                raise DynamodbException("com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                                        "The request uses the same client token as a previous, but non-identical request.")
            return seen[token][2]
        result = original(handler)
        seen[token] = (now, items, result)
        return result

    return replace(wrap(DynamoHandler, "transact_write_items", transact_write_items)).close
