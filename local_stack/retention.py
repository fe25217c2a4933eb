"""What `make run` keeps, and for how long: a sweep that bounds moto's memory.

moto keeps everything it was ever given: every execution's full event history (a 5,000-document
job's Distributed Map alone is thousands of events with their inputs and outputs), every DynamoDB
stream record, every shard iterator a reader ever got, every worker thread it started. A long
`make run` grew without bound. Every ``interval`` seconds this sweep drops:

- the event history (and Map run records) of executions that finished more than ``retention``
  seconds ago: DescribeExecution still answers (status, input, output, error, dates) and
  ListExecutions still lists them; GetExecutionHistory returns no events (AWS keeps 90 days);
- stream records older than ``retention`` (AWS keeps 24 hours; the local delivery reads them
  within a second, so only a reader that stopped for that long misses any);
- shard iterators older than 15 minutes (AWS expires them then too);
- finished workflow threads moto keeps in a list;
- moto's list of every model object it ever made (``BaseModel.instances_tracked``, only read by its
  dashboard, /moto-api/data.json): every item copy, stream record and session, ~11 KB a request;
- the work data of jobs that finished (EndTime) more than ``retention`` ago: their batch markers
  (BatchCountsTable) and work files (manifests/, results/ in the work bucket), and map-results/
  files older than that (AWS: the markers' 30-day TTL, the work bucket's 30-day lifecycle rule;
  only FinalizeJob reads them, while the job runs): ~8 MB of moto per 5,000-document job.
  Given the names of the stack's resources (``WorkData``), else kept.

After a sweep that dropped anything, glibc is asked to hand freed memory back (``malloc_trim``).
Jobs (their items), objects in the user's buckets (documents, outputs), queues and roles are the
user's data and are kept. LOCAL_RETENTION_SECONDS sets ``retention`` (default 600).
"""

import contextlib
import ctypes
import datetime
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
ITERATOR_LIFETIME_SECONDS = 15 * 60  # AWS: a shard iterator expires 15 minutes after it is returned
# translate_jobs.domain.lifecycle.TERMINAL (local_stack does not import the library; a test checks they agree)
FINISHED = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}


def retention_seconds() -> float:
    value = os.environ.get("LOCAL_RETENTION_SECONDS", "600")
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"error: LOCAL_RETENTION_SECONDS must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise ValueError("error: LOCAL_RETENTION_SECONDS must be positive")
    return seconds


@dataclass(frozen=True)
class WorkData:
    """Where the service keeps a job's work data: the provisioned names of the template's resources."""

    jobs_table: str  # JobsTable
    batch_counts_table: str  # BatchCountsTable
    work_bucket: str  # WorkBucket

    @classmethod
    def of(cls, stack: Any) -> "WorkData":
        ref = stack.resolver.ref
        return cls(jobs_table=ref("JobsTable"), batch_counts_table=ref("BatchCountsTable"), work_bucket=ref("WorkBucket"))


@dataclass
class Sweep:
    """One pass over moto's backends in this process; ``now`` is injectable for tests."""

    retention: float
    dynamodb_lock: Any = None  # moto_patches' lock: stream records move under it, as writes append them
    work: WorkData | None = None  # without it, finished jobs' work data is kept
    _stream_marks: dict[int, list[tuple[float, int]]] = field(default_factory=dict)  # shard -> (time, next sequence number)
    _iterators_seen: dict[str, float] = field(default_factory=dict)
    # Jobs that ended by then had their work data dropped (a time, not a set of jobs: it does not grow).
    _jobs_swept_until: float = 0.0
    dropped: dict[str, int] = field(default_factory=dict)

    def __call__(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        before = sum(self.dropped.values())
        for step in (self._execution_histories, self._stream_records, self._shard_iterators, self._threads,
                     self._model_instances, self._finished_jobs_work_data, self._map_results):
            try:
                step(now)
            except Exception:  # noqa: BLE001 - a sweep that fails once must not stop the stack
                log.exception("retention sweep step %s failed", step.__name__)
        if sum(self.dropped.values()) > before:
            _trim_malloc()

    def _count(self, what: str, how_many: int) -> None:
        self.dropped[what] = self.dropped.get(what, 0) + how_many

    def _execution_histories(self, now: float) -> None:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        cutoff = datetime.datetime.fromtimestamp(now - self.retention, datetime.UTC)
        for backend in _backends(stepfunctions_parser_backends):
            for machine in list(backend.state_machines):
                for execution in list(getattr(machine, "executions", [])):
                    worker = getattr(execution, "exec_worker", None)
                    stopped = getattr(execution, "stop_date", None)
                    if worker is None or worker.env is None or stopped is None:
                        continue
                    if _aware(stopped) < cutoff:
                        worker.env = None  # its event history, frames and Map run records
                        self._count("execution histories", 1)

    def _stream_records(self, now: float) -> None:
        from moto.dynamodb.models import dynamodb_backends

        for backend in _backends(dynamodb_backends):
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
                        self._count("stream records", drop)

    def _shard_iterators(self, now: float) -> None:
        from moto.dynamodbstreams.models import dynamodbstreams_backends

        for backend in _backends(dynamodbstreams_backends):
            for arn in list(backend.shard_iterators):
                first_seen = self._iterators_seen.setdefault(arn, now)
                if first_seen <= now - ITERATOR_LIFETIME_SECONDS:
                    backend.shard_iterators.pop(arn, None)
                    self._iterators_seen.pop(arn, None)
                    self._count("shard iterators", 1)
            for arn in set(self._iterators_seen) - set(backend.shard_iterators):
                self._iterators_seen.pop(arn, None)

    def _threads(self, now: float) -> None:
        from moto.stepfunctions.parser.utils import TMP_THREADS

        for thread in list(TMP_THREADS):
            if not thread.is_alive():
                with contextlib.suppress(ValueError):
                    TMP_THREADS.remove(thread)


    def _model_instances(self, now: float) -> None:
        from moto.core.model_instances import reset_model_data

        reset_model_data()  # the backends keep what is live; this list kept everything else alive too

    def _finished_jobs_work_data(self, now: float) -> None:
        """Batch markers and work files (manifest, batch results) of jobs finished more than `retention` ago.

        Only FinalizeJob reads them, while the job runs. AWS drops them after 30 days (the markers'
        TTL, the work bucket's lifecycle rule); moto never does: ~8 MB per 5,000-document job."""
        from moto.dynamodb.models import dynamodb_backends

        if self.work is None:
            return
        # An EndTime written more than `retention` after it was taken would be missed: its data kept.
        swept, cutoff = self._jobs_swept_until, now - self.retention
        self._jobs_swept_until = max(swept, cutoff)
        jobs: set[tuple[str, str]] = set()
        with self.dynamodb_lock or contextlib.nullcontext():
            for table in _tables(dynamodb_backends, self.work.jobs_table):
                for item in (item for by_job in table.items.values() for item in by_job.values()):
                    status, ended = item.attrs.get("JobStatus"), item.attrs.get("EndTime")
                    if status and ended and status.value in FINISHED and swept < float(ended.value) <= cutoff:
                        jobs.add((item.attrs["AccountId"].value, item.attrs["JobId"].value))
            if not jobs:
                return
            markers = tuple(f"{account}#{job}#" for account, job in jobs)  # BatchId: account#job#batch
            for table in _tables(dynamodb_backends, self.work.batch_counts_table):
                for key in [key for key in table.items if key.value.startswith(markers)]:
                    table.delete_item(key, None)
                    self._count("batch markers", 1)
        prefixes = tuple(p for account, job in jobs for p in (f"manifests/{account}/{job}.", f"results/{account}/{job}/"))
        self._count("work files", self._delete_work_files(lambda key, _: key.startswith(prefixes)))

    def _map_results(self, now: float) -> None:
        """The Distributed Map's ResultWriter files, written when its run ends and never read by the service."""
        cutoff = datetime.datetime.fromtimestamp(now - self.retention, datetime.UTC)

        def expired(key: str, stored: Any) -> bool:
            return key.startswith("map-results/") and _aware(stored.last_modified) < cutoff

        self._count("map results", self._delete_work_files(expired))

    def _delete_work_files(self, expired: Callable[[str, Any], bool]) -> int:
        from moto.s3.models import s3_backends

        if self.work is None:
            return 0
        dropped = 0
        for backend in _backends(s3_backends):
            bucket = backend.buckets.get(self.work.work_bucket)
            # A copy of the key store: moto writes and deletes keys on other threads (s3_listing_during_deletes).
            for key, versions in dict(bucket.keys).items() if bucket else []:
                if versions and expired(key, versions[-1]):
                    backend.delete_object(bucket.name, key)
                    dropped += 1
        return dropped


def _trim_malloc() -> None:
    # glibc keeps what the many worker threads freed in per-thread arenas: without this RSS never comes down.
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only (not macOS, not musl)
    if trim is not None:
        trim(0)


def _limit_malloc_arenas(most: int = 2) -> None:
    # glibc gives threads that allocate at once arenas of their own (up to 8 per core), each keeping what
    # was freed in it; the stack's many short-lived worker threads spread its memory over all of them.
    # Two arenas: ~20 MB less resident memory after eight 5,000-document jobs (make bench-memory, side by side).
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc only (not macOS, not musl)
    if mallopt is not None:
        mallopt(-8, most)  # M_ARENA_MAX


def _backends(backend_dict: Any) -> list[Any]:
    """Every (account, region) backend moto has made so far (never creating one)."""
    found: list[Any] = []
    for account in list(backend_dict.keys()):
        regions = backend_dict[account]
        found.extend(regions[region] for region in list(regions.keys()))
    return found


def _tables(dynamodb_backends: Any, name: str) -> list[Any]:
    return [backend.tables[name] for backend in _backends(dynamodb_backends) if name in backend.tables]


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Sweeper:
    """Runs a Sweep every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, sweep: Callable[[], None], interval: float) -> None:
        self._sweep = sweep
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-retention", daemon=True)

    def start(self) -> "Sweeper":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            self._sweep()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)


def start_retention(dynamodb_lock: Any = None, work: WorkData | None = None) -> tuple[Sweep, Sweeper]:
    _limit_malloc_arenas()
    retention = retention_seconds()
    sweep = Sweep(retention=retention, dynamodb_lock=dynamodb_lock, work=work)
    return sweep, Sweeper(sweep, interval=min(60.0, retention / 4)).start()
