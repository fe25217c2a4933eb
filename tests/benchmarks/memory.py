"""Resident memory of `make run` over a long run (`make bench-memory`; issue 13, goal 3).

Starts `python -m translate_jobs_local run` as a subprocess (as a user does) on free ports, then reads its
VmRSS (/proc/PID/status) after start-up, after each of JOBS jobs of DOCUMENTS documents (the same
input for all, as a client re-translating a folder; each job's output is deleted once it is done,
as a client that downloads its results would: outputs are the user's data and the stack keeps
them), and after REQUESTS API requests (Describe, Stop, unknown Stop, List, in turn).
LOCAL_RETENTION_SECONDS is passed through (default here 60 s, so the sweep shows within the run; the
stack's default is 600 s). Prints one table: MB and the ratio to the memory after start-up.

Usage: .venv/bin/python tests/benchmarks/memory.py [JOBS [DOCUMENTS [REQUESTS]]]   (defaults 20 5000 100000)
"""

import contextlib
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from make_run import MakeRun

INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
ROLE = "arn:aws:iam::123456789012:role/TranslateDemoDataAccess"
TERMINAL = ("COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.5)


def main(jobs: int, documents: int, requests: int) -> None:
    retention = float(os.environ.get("LOCAL_RETENTION_SECONDS", "60"))
    run = MakeRun(LOCAL_RETENTION_SECONDS=f"{retention:g}")
    rows: list[tuple[str, float]] = []
    print(f"make run's resident memory (VmRSS), LOCAL_RETENTION_SECONDS={retention:g}; "
          f"{jobs} jobs x {documents:,} documents, {requests:,} requests")
    print(f"{'when':<50}{'MB':>9}{'x start':>9}", flush=True)

    def reading(when: str) -> None:
        rows.append((when, rss_mb(run.process.pid)))
        print(f"{when:<50}{rows[-1][1]:>9.1f}{rows[-1][1] / rows[0][1]:>9.2f}", flush=True)

    try:
        s3, translate = run.s3, run.translate
        time.sleep(2)  # polling is over; let start-up's garbage settle before the first reading
        reading("after start-up")

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: s3.put_object(Bucket=INPUT, Key=f"memory/doc{n:06}.txt",
                                                  Body=f"Hello, world number {n}.\n".encode()), range(documents)))
        reading(f"{documents:,} input documents uploaded")
        for number in range(1, jobs + 1):
            prefix = f"memory-out-{number}/"
            job_id = translate.start_text_translation_job(
                JobName=f"memory-{number}", InputDataConfig={"S3Uri": f"s3://{INPUT}/memory/", "ContentType": "text/plain"},
                OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/{prefix}"}, DataAccessRoleArn=ROLE,
                SourceLanguageCode="en", TargetLanguageCodes=["fr"])["JobId"]

            def finished(job_id: str = job_id) -> bool:
                job = translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
                assert job["JobStatus"] not in ("FAILED", "STOPPED"), job
                return job["JobStatus"] in TERMINAL

            wait_until(finished, 3600, f"job {number}")
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=OUTPUT, Prefix=prefix):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=OUTPUT, Delete={"Objects": keys})
            if number in (1, jobs // 2, jobs) or number % 5 == 0:
                reading(f"after job {number} of {documents:,} documents")
        known = [job["JobId"] for job in translate.list_text_translation_jobs(MaxResults=50)["TextTranslationJobPropertiesList"]]
        calls = [
            lambda n: translate.describe_text_translation_job(JobId=known[n % len(known)]),
            lambda n: translate.stop_text_translation_job(JobId=known[n % len(known)]),
            lambda n: _unknown_stop(translate),
            lambda n: translate.list_text_translation_jobs(MaxResults=5),
        ]
        for n in range(requests):
            calls[n % len(calls)](n)
            if (n + 1) % max(1, requests // 4) == 0:
                reading(f"after {n + 1:,} API requests")
        time.sleep(retention + min(60.0, retention / 4) + 1)  # one sweep past the retention (a fixed wait, not a state)
        reading(f"{retention:g} s later (past the retention)")
    finally:
        run.close()
    print("goal 3: every line within 1.5x of the first")


def _unknown_stop(translate: object) -> None:
    with contextlib.suppress(Exception):
        translate.stop_text_translation_job(JobId=uuid.uuid4().hex)  # type: ignore[attr-defined]


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:4]]
    main(*(arguments + [20, 5000, 100_000][len(arguments):]))
