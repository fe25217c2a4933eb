"""What `make run` keeps, and for how long (docs/local-stack.md's table): moto keeps everything it was ever given,
so every ``retention`` / 4 seconds (at most a minute) a sweep drops what is older than ``retention``
(LOCAL_RETENTION_SECONDS) and no one can ask for any more, and what the application says it may drop (``steps``:
its App.retention_steps). The user's data is kept.
"""

import contextlib
import ctypes
import datetime
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_stack.timer import Timer

log = logging.getLogger(__name__)
ITERATOR_LIFETIME_SECONDS = 15 * 60  # AWS: a shard iterator expires 15 minutes after it is returned


def retention_seconds() -> float:
    value = os.environ.get("LOCAL_RETENTION_SECONDS", "600")
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds):  # not a number, nan or inf
        raise ValueError(f"error: LOCAL_RETENTION_SECONDS must be a number of seconds, not {value!r}")
    if seconds <= 0:
        raise ValueError("error: LOCAL_RETENTION_SECONDS must be positive")
    return seconds


@dataclass
class Sweep:
    """One pass over moto's backends in this process; ``now`` is injectable for tests."""

    retention: float
    dynamodb_lock: Any = None  # moto_patches' lock: stream records move under it, as writes append them
    steps: tuple[Callable[["Sweep", float], None], ...] = ()  # the application's own (App.retention_steps)
    _stream_marks: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # shard -> (time, next sequence number)
    _iterators_seen: dict[str, float] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def __call__(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        before = sum(self.dropped.values())
        for step in (Sweep._execution_histories, Sweep._stream_records, Sweep._shard_iterators, Sweep._threads,
                     Sweep._model_instances, *self.steps):
            try:
                step(self, now)
            except Exception:  # noqa: BLE001 - a sweep that fails once must not stop the stack
                log.exception("retention sweep step %s failed", step)
        if sum(self.dropped.values()) > before:
            # glibc keeps what the many worker threads freed in per-thread arenas: without this RSS never comes down.
            _glibc("malloc_trim", 0)

    def count(self, what: str, how_many: int) -> None:
        self.dropped[what] = self.dropped.get(what, 0) + how_many

    def _execution_histories(self, now: float) -> None:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        cutoff = datetime.datetime.fromtimestamp(now - self.retention, datetime.UTC)
        for backend in backends(stepfunctions_parser_backends):
            for machine in list(backend.state_machines):
                for execution in list(getattr(machine, "executions", [])):
                    worker, stopped = getattr(execution, "exec_worker", None), getattr(execution, "stop_date", None)
                    if worker is not None and worker.env is not None and stopped is not None and aware(stopped) < cutoff:
                        worker.env = None  # its event history, frames and Map run records
                        self.count("execution histories", 1)

    def _stream_records(self, now: float) -> None:
        from moto.dynamodb.models import dynamodb_backends

        for backend in backends(dynamodb_backends):
            for table in list(backend.tables.values()):
                shard = getattr(table, "stream_shard", None)
                if shard is None:
                    continue
                with self.dynamodb_lock or contextlib.nullcontext():
                    marks = self._stream_marks.setdefault(id(shard), [])
                    marks.append((now, shard.starting_sequence_number + len(shard.items)))
                    # Every record below the newest mark made `retention` ago is at least that old.
                    expired = [sequence for at, sequence in marks if at <= now - self.retention]
                    if not expired:
                        continue
                    drop = max(expired) - shard.starting_sequence_number
                    marks[:] = [(at, sequence) for at, sequence in marks if at > now - self.retention]
                    if drop > 0:
                        del shard.items[:drop]
                        shard.starting_sequence_number += drop
                        self.count("stream records", drop)

    def _shard_iterators(self, now: float) -> None:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        held: set[str] = set()
        for backend in backends(dynamodbstreams_backends):
            for arn in list(backend.shard_iterators):
                first_seen = self._iterators_seen.setdefault(arn, now)
                if first_seen <= now - ITERATOR_LIFETIME_SECONDS:
                    backend.shard_iterators.pop(arn, None)
                    self._iterators_seen.pop(arn, None)
                    self.count("shard iterators", 1)
            held.update(backend.shard_iterators)
        for arn in set(self._iterators_seen) - held:  # gone from every backend (each holds only its own)
            self._iterators_seen.pop(arn, None)

    def _threads(self, now: float) -> None:
        from moto.stepfunctions.parser.utils import TMP_THREADS

        for thread in list(TMP_THREADS):
            if not thread.is_alive():
                with contextlib.suppress(ValueError):
                    TMP_THREADS.remove(thread)

    def _model_instances(self, now: float) -> None:
        from moto.core.model_instances import reset_model_data

        # moto's list of every model object it made (BaseModel.instances_tracked, read only by its dashboard,
        # /moto-api/data.json), ~11 KB a request: the backends keep what is live, this list kept the rest alive.
        reset_model_data()

    def delete_objects(self, bucket_name: str, expired: Callable[[str, Any], bool]) -> int:
        """Delete the objects of a bucket whose key and stored object ``expired`` says; how many."""
        from moto.s3.models import s3_backends

        dropped = 0
        for backend in backends(s3_backends):
            bucket = backend.buckets.get(bucket_name)
            # A copy of the key store: moto writes and deletes keys on other threads (s3_listing_during_deletes).
            for key, versions in dict(bucket.keys).items() if bucket else []:
                if versions and expired(key, versions[-1]):
                    backend.delete_object(bucket.name, key)
                    dropped += 1
        return dropped


def _glibc(function: str, *args: int) -> None:
    call = getattr(ctypes.CDLL(None), function, None)  # glibc only (not macOS, not musl)
    if call is not None:
        call(*args)


def backends(backend_dict: Any) -> list[Any]:
    """Every (account, region) backend moto has made so far (never creating one)."""
    return [backend for _, _, backend in backend_dict.iter_backends()]


def tables(dynamodb_backends: Any, name: str) -> list[Any]:
    return [backend.tables[name] for backend in backends(dynamodb_backends) if name in backend.tables]


def aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def start_retention(dynamodb_lock: Any = None, steps: tuple[Callable[[Sweep, float], None], ...] = ()) -> Timer:
    # glibc gives threads that allocate at once arenas of their own (up to 8 per core), each keeping what
    # was freed in it; the stack's many short-lived worker threads spread its memory over all of them.
    # Two arenas: ~20 MB less resident memory after eight 5,000-document jobs (make bench-memory, side by side).
    _glibc("mallopt", -8, 2)  # M_ARENA_MAX
    sweep = Sweep(retention_seconds(), dynamodb_lock, steps)
    timer, interval = Timer("local-retention"), min(60.0, sweep.retention / 4)
    timer.call_later(interval, lambda: timer.every(interval, sweep))
    return timer.start()
