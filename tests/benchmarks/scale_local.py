"""Jobs of 1,000 to 50,000 small documents on the local stack (`make bench-scale`), and Stop early in big ones.

Starts `python -m translate_jobs_local run` as a subprocess on free ports (as `make run`), puts the documents in
its demo input bucket, and for each job size prints: time to the job's end, documents per CPU-second of
the stack process, the job item's size at the end (DynamoDB's own rule: names plus values), and the
stack's peak RSS so far (one stack serves every job, sizes ascending, so it is the peak up to that job).
Then, in a 10,000- and a 50,000-document job, a Stop issued as soon as the first documents are counted:
time from Stop to STOPPED and documents translated after the Stop. A job that does not end within
--timeout is reported as such (the code before issue 10 hung or crawled at 50,000).

No figure here is asserted: compare runs side by side (`--label before` on one checkout, `after` on
another) on the same machine, and the ratios across sizes (flat is the goal).

Usage: .venv/bin/python tests/benchmarks/scale_local.py [--sizes 1000,10000,50000] [--stop-sizes 10000,50000]
       [--timeout 1200] [--label after] [--parameter-overrides BatchSize=10 ...]
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"
INPUT, OUTPUT = "translate-jobs-demo-input", "translate-jobs-demo-output"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/TranslateDemoDataAccess"
TERMINAL = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from make_run import free_port  # noqa: E402

CLIENT_CONFIG = Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 10})



class Stack:
    """`python -m translate_jobs_local run` in its own session; its CPU time and RSS read from /proc."""

    def __init__(self, overrides: list[str]) -> None:
        self.port, self.emulator_port = free_port(), free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="scale-local-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_TRACE_DISABLED": "true",
               "PARAMETER_OVERRIDES": " ".join(overrides), "LOCAL_STATE_DIR": tempfile.mkdtemp(prefix="scale-local-state-")}
        command = [sys.executable, "-m", "translate_jobs_local", "run", "--port", str(self.port),
                   "--emulator-port", str(self.emulator_port)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        emulator = f"http://127.0.0.1:{self.emulator_port}"
        self.s3 = boto3.client("s3", endpoint_url=emulator, config=CLIENT_CONFIG)
        self.dynamodb = boto3.client("dynamodb", endpoint_url=emulator)
        self.translate = boto3.client("translate", endpoint_url=f"http://127.0.0.1:{self.port}", config=CLIENT_CONFIG)
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, f"the stack exited; see {self.log.name}"
            assert time.monotonic() < deadline, f"the stack did not answer in 120 s; see {self.log.name}"
            with contextlib.suppress(Exception):
                self.translate.list_text_translation_jobs(MaxResults=1)
                self.s3.head_bucket(Bucket=INPUT)
                break
            time.sleep(0.5)
        self.table = next(name for name in self.dynamodb.list_tables()["TableNames"] if "JobsTable" in name)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def rss_mib(self, field: str = "VmHWM") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def put_documents(self, prefix: str, count: int) -> None:
        def put(n: int) -> None:
            self.s3.put_object(Bucket=INPUT, Key=f"{prefix}d{n:07d}.txt", Body=f"Hello, world number {n}.\n".encode())

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put, range(count)))

    def start_job(self, prefix: str, name: str) -> str:
        return str(self.translate.start_text_translation_job(
            JobName=name, InputDataConfig={"S3Uri": f"s3://{INPUT}/{prefix}", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": f"s3://{OUTPUT}/{name}/"}, DataAccessRoleArn=ROLE,
            SourceLanguageCode="en", TargetLanguageCodes=["fr"],
        )["JobId"])

    def describe(self, job_id: str) -> dict[str, Any]:
        return dict(self.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"])

    def wait(self, job_id: str, deadline: float, until: Any) -> dict[str, Any]:
        while True:
            job = self.describe(job_id)
            if until(job) or time.monotonic() > deadline:
                return job
            time.sleep(0.2)

    def outputs(self, name: str, job_id: str) -> int:
        """Translated documents written so far under the job's output prefix (the details file aside)."""
        prefix = f"{name}/{ACCOUNT}-TranslateText-{job_id}/"
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=OUTPUT, Prefix=prefix)
        return sum(1 for page in pages for obj in page.get("Contents", []) if "/details/" not in obj["Key"])

    def item_bytes(self, job_id: str) -> int:
        item = self.dynamodb.get_item(TableName=self.table, Key={"AccountId": {"S": ACCOUNT}, "JobId": {"S": job_id}},
                                      ConsistentRead=True)["Item"]
        return sum(len(name.encode()) + value_bytes(value) for name, value in item.items())

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


def value_bytes(value: dict[str, Any]) -> int:
    """An attribute value's size as DynamoDB counts it (item size = names + values)."""
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return number_bytes(data)
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(item.encode()) for item in data)
    if kind == "NS":
        return sum(number_bytes(item) for item in data)
    if kind == "L":
        return 3 + sum(1 + value_bytes(item) for item in data)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_bytes(item) for name, item in data.items())
    raise ValueError(kind)


def number_bytes(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return 1 + (len(digits) + 1) // 2


def run_to_end(stack: Stack, size: int, timeout: float) -> str:
    prefix = f"scale-{size}/"
    if "Contents" not in stack.s3.list_objects_v2(Bucket=INPUT, Prefix=prefix, MaxKeys=1):  # a Stop job's may be there
        stack.put_documents(prefix, size)
    cpu, started = stack.cpu_seconds(), time.monotonic()
    job_id = stack.start_job(prefix, f"scale-{size}")
    job = stack.wait(job_id, started + timeout, lambda job: job["JobStatus"] in TERMINAL)
    elapsed, cpu = time.monotonic() - started, stack.cpu_seconds() - cpu
    details = job.get("JobDetails", {})
    done = details.get("TranslatedDocumentsCount", 0)
    status = job["JobStatus"] if job["JobStatus"] in TERMINAL else f"TIMEOUT ({job['JobStatus']})"
    return (f"| {size:>7,} | {status:<20} | {elapsed:8.1f} s | {done:>7,} | {done / cpu if cpu else 0:8.1f} "
            f"| {stack.item_bytes(job_id):>8,} B | {stack.rss_mib():7.0f} MiB |")


def stop_early(stack: Stack, size: int, timeout: float) -> str:
    prefix = f"scale-{size}/"  # the documents of the job of this size, put there by run_to_end or now
    if "Contents" not in stack.s3.list_objects_v2(Bucket=INPUT, Prefix=prefix, MaxKeys=1):
        stack.put_documents(prefix, size)
    name = f"stop-{size}"
    job_id = stack.start_job(prefix, name)
    started = time.monotonic()
    stack.wait(job_id, started + timeout, lambda job: job.get("JobDetails", {}).get("TranslatedDocumentsCount", 0) > 0)
    stop_status = stack.translate.stop_text_translation_job(JobId=job_id)["JobStatus"]
    stopped_at = time.monotonic()
    # What was written by the Stop: the outputs (the counts lag, a batch counts when it ends).
    written_at_stop = stack.outputs(name, job_id)
    job = stack.wait(job_id, stopped_at + timeout, lambda job: job["JobStatus"] in TERMINAL)
    elapsed = time.monotonic() - stopped_at
    written = stack.outputs(name, job_id)
    counted = job.get("JobDetails", {}).get("TranslatedDocumentsCount", 0)
    status = job["JobStatus"] if job["JobStatus"] in TERMINAL else f"TIMEOUT ({job['JobStatus']})"
    return (f"| {size:>7,} | {stop_status} -> {status:<20} | {elapsed:8.1f} s | {written_at_stop:>7,} "
            f"| {written - written_at_stop:>7,} | {counted:>7,} of {written:,} | {stack.item_bytes(job_id):>8,} B |")


def run_all_to_end(stack: Stack, sizes: list[int], args: argparse.Namespace) -> None:
    overrides = " ".join(args.parameter_overrides) or "template defaults"
    print(f"\n## {args.label}: jobs to the end (one local stack, {overrides})\n")
    print("| documents | status | time to end | translated | docs per CPU-second | job item | stack peak RSS |")
    print("|---:|---|---:|---:|---:|---:|---:|", flush=True)
    for size in sizes:
        print(run_to_end(stack, size, args.timeout), flush=True)


def stop_all_early(stack: Stack, sizes: list[int], args: argparse.Namespace) -> None:
    if not sizes:
        return
    print(f"\n## {args.label}: Stop as soon as the first documents are counted\n")
    print("| documents | Stop -> status | Stop to end | written by the Stop | written after it | counted of written | job item |")
    print("|---:|---|---:|---:|---:|---:|---:|", flush=True)
    for size in sizes:
        print(stop_early(stack, size, args.timeout), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--stop-sizes", default="10000,50000")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds a job may take before it is reported as a timeout")
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL", "this checkout"))
    parser.add_argument("--parameter-overrides", nargs="*", default=[])
    parser.add_argument("--stops-first", action="store_true", help="the Stop jobs before the jobs run to the end")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    stop_sizes = [int(size) for size in args.stop_sizes.split(",") if size]
    stack = Stack(args.parameter_overrides)
    try:
        parts = [lambda: run_all_to_end(stack, sizes, args), lambda: stop_all_early(stack, stop_sizes, args)]
        for part in reversed(parts) if args.stops_first else parts:
            part()
    finally:
        stack.close()
        print(f"\n(stack log: {stack.log.name})")


if __name__ == "__main__":
    main()
