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
