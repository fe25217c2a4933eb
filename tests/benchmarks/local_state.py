"""`make bench-state`: what keeping `make run`'s state costs (local_stack.persistence, docs/local-state.md).

1. Save and restore: the stack in this process, its state in a temporary folder, filled with JOBS jobs
   and DOCUMENTS documents (through moto's API, as the functions and a user's CLI write them, each change
   journaled). Then: a snapshot (the save, as in the background and at a
   stop), the stop (its final snapshot), a start restoring that snapshot, and a start restoring the
   journal alone (what a kill -9 before any snapshot leaves); the disk each uses. Beside them: the same
   start with no state (the baseline a restore adds to).
2. What it costs a Stop: two `python -m translate_jobs_local run` processes, one keeping its state in a folder, one
   in memory only (LOCAL_STATE_DIR empty), one Stop to each in turn (both see the same load): median and
   p90 side by side, and the journal's bytes per Stop.

Usage: .venv/bin/python tests/benchmarks/local_state.py [--jobs 10000] [--documents 50000] [--stops 300]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT, ROOT / "layers" / "shared", Path(__file__).parent):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from make_run import MakeRun  # noqa: E402 - it keeps the user's environment, before the defaults below

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3  # noqa: E402
from stop_latency import create_jobs, events_settled  # noqa: E402

from local_stack import persistence  # noqa: E402
from local_stack.persistence import LocalState  # noqa: E402
from local_stack.stack import DEMO_BUCKETS, LocalStack  # noqa: E402
from tests.support.front import free_port  # noqa: E402

REGION = "us-east-1"


def size_mb(folder: Path, pattern: str = "*") -> float:
    return sum(path.stat().st_size for path in folder.glob(pattern)) / 1e6


def fill(jobs: int, documents: int) -> float:
    """JOBS job items and DOCUMENTS documents, through moto's API in this process; seconds."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    create_jobs(jobs)
    s3 = boto3.client("s3", region_name=REGION)

    def put(number: int) -> None:
        text = f"Document {number}: the quick brown fox jumps over the lazy dog, {number} times.\n" * 3
        s3.put_object(Bucket=DEMO_BUCKETS[0], Key=f"docs/{number:06}.txt", Body=text.encode())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(documents)))
    return time.perf_counter() - started


def counted() -> tuple[int, int]:
    """(items in the jobs table, objects in the input bucket) of the running stack: what a restore must give back."""
    dynamodb, s3 = boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION)
    items = sum(page["Count"] for page in dynamodb.get_paginator("scan").paginate(
        TableName=os.environ["JOBS_TABLE_NAME"], Select="COUNT"))
    objects = sum(page.get("KeyCount", 0) for page in s3.get_paginator("list_objects_v2").paginate(Bucket=DEMO_BUCKETS[0]))
    return items, objects


def started(folder: Path | None) -> tuple[LocalStack, float]:
    began = time.perf_counter()
    state = LocalState.open(folder) if folder else None
    stack = LocalStack(port=free_port(), emulator_port=free_port(), state=state).start()
    return stack, time.perf_counter() - began


def save_and_restore(jobs: int, documents: int) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-state-"))
    try:
        for _ in range(2):  # the second start has its imports warm, as the restores measured below do
            baseline, baseline_seconds = started(None)
            baseline.stop()
        stack, _ = started(work / "state")
        persistence.SNAPSHOT_AFTER_BYTES = 10**12  # all of it in the journal
        filled = fill(jobs, documents)
        shutil.copytree(work / "state", work / "killed", ignore=shutil.ignore_patterns("lock"))  # a kill -9 now
        journal = size_mb(work / "killed", "journal-*")
        began = time.perf_counter()
        stack.state.snapshot()
        saved = time.perf_counter() - began
        began = time.perf_counter()
        stack.stop()
        stopped = time.perf_counter() - began
        snapshot = size_mb(work / "state", "snapshot.pickle")
        rows += [
            ("fill: jobs and documents through moto, journaled",
             f"{filled:.1f} s ({(jobs // 25 + documents) / filled:.0f} changes/s)"),
            ("journal of all of it (before any snapshot)", f"{journal:.1f} MB"),
            ("save: a snapshot (every change blocked meanwhile)", f"{saved:.2f} s"),
            ("stop, with its final snapshot", f"{stopped:.2f} s"),
            ("snapshot on disk", f"{snapshot:.1f} MB"),
        ]
        for label, folder in (("start restoring the snapshot", work / "state"),
                              ("start replaying the journal (after a kill -9)", work / "killed")):
            stack, seconds = started(folder)
            restored = stack.state.restored
            assert counted() == (jobs, documents), counted()
            rows.append((label, f"{seconds:.1f} s (restore {restored.seconds:.2f} s, {restored.replayed} changes replayed)"))
            stack.stop()
        rows.append(("start with no state (baseline)", f"{baseline_seconds:.1f} s"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def stop_cost(count: int) -> list[tuple[str, str]]:
    kept, memory = MakeRun(), MakeRun(LOCAL_STATE_DIR="")
    try:
        ids = {run: create_jobs(count + 10, run.dynamodb, run.jobs_table) for run in (kept, memory)}
        for run in (kept, memory):
            events_settled(run.sqs)
            for job_id in ids[run][:10]:  # warm-up
                run.translate.stop_text_translation_job(JobId=job_id)
        journal = Path(kept.state.name)
        before = size_mb(journal, "journal-*")
        samples: dict[MakeRun, list[float]] = {kept: [], memory: []}
        for index in range(10, count + 10):
            for run in (kept, memory):
                began = time.perf_counter()
                assert run.translate.stop_text_translation_job(JobId=ids[run][index])["JobStatus"] == "STOP_REQUESTED"
                samples[run].append((time.perf_counter() - began) * 1000)
        grown = (size_mb(journal, "journal-*") - before) * 1e6 / count
    finally:
        kept.close()
        memory.close()

    def figures(values: list[float]) -> str:
        return f"median {statistics.median(values):.1f} ms, p90 {statistics.quantiles(values, n=10)[-1]:.1f} ms"

    return [("Stop, state kept (LOCAL_STATE_DIR)", figures(samples[kept])),
            ("Stop, in memory only (baseline, same run)", figures(samples[memory])),
            ("journal written per Stop (its changes, its events)", f"{grown / 1024:.1f} KB (if no snapshot came between)")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--stops", type=int, default=300)
    args = parser.parse_args()
    from translate_jobs_local import output

    restore_output = output.install()  # as `python -m translate_jobs_local run` does
    try:
        rows = save_and_restore(args.jobs, args.documents)
    finally:
        restore_output()
    rows += stop_cost(args.stops)
    width = max(len(label) for label, _ in rows)
    print(f"\nmake run's kept state: {args.jobs:,} jobs, {args.documents:,} documents; {args.stops} Stops")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
