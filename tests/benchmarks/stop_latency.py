"""Stop latency through the local front (`make bench`), beside baselines measured in the same run.

Starts the local stack (moto server + API front, as `make run`) on free ports, creates N
IN_PROGRESS jobs, and times:
  - Stop via boto3's Translate client through the front (HTTP -> event -> ApiFunction -> one
    conditional UpdateItem to the emulator -> HTTP response);
  - Describe via the same client (one GetItem);
  - Stop of an unknown job (the ConditionalCheckFailed path);
  - baseline: the same conditional UpdateItem sent straight to the emulator with boto3;
  - and, when MINISTACK names its command (`make bench` installs MiniStack into .venv-ministack),
    the same Stop, Describe and unknown Stop against MiniStack, the in-memory emulator with
    Translate jobs (issue 13 compares against it), started on a free port in the same run.
The ratios are what matter: this machine is noisy.

Usage: .venv/bin/python tests/benchmarks/stop_latency.py [N]
"""

import contextlib
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT, ROOT / "layers" / "shared"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3  # noqa: E402

from local_stack.stack import DEFAULT_ACCOUNT, LocalStack  # noqa: E402

REGION = "us-east-1"
WARMUP = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_jobs(count: int) -> list[str]:
    from translate_jobs.dal.store import JobRecord, job_store

    job_store()
    ids = []
    with JobRecord.batch_write() as batch:
        for _ in range(count):
            job_id = uuid.uuid4().hex
            batch.save(
                JobRecord(
                    DEFAULT_ACCOUNT,
                    job_id,
                    job_name="bench",
                    job_status="IN_PROGRESS",
                    submitted_time=round(time.time(), 3),
                    source_language_code="en",
                    target_language_codes=["fr"],
                    input_data_config={"S3Uri": "s3://translate-jobs-demo-input/docs/", "ContentType": "text/plain"},
                    output_data_config={"S3Uri": f"s3://translate-jobs-demo-output/out/{DEFAULT_ACCOUNT}-TranslateText-{job_id}/"},
                    data_access_role_arn=f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/TranslateDemoDataAccess",
                )
            )
            ids.append(job_id)
    return ids


def timed(call: Callable[[str], object], job_ids: list[str]) -> list[float]:
    samples = []
    for job_id in job_ids:
        started = time.perf_counter()
        call(job_id)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def main(count: int) -> None:
    # The functions log and emit metrics to stdout (as in Lambda); keep the table readable.
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        results = measure(count)
        ministack = measure_ministack(count) if os.environ.get("MINISTACK") else {}
    baseline = statistics.median(results["UpdateItem straight to the emulator (baseline)"])
    print(f"N={count} requests each, sequential, one process (python {sys.version.split()[0]})")
    print(f"{'measurement':<58} {'median ms':>10} {'p95 ms':>8} {'p99 ms':>8} {'x baseline':>11} {'x MiniStack':>12}")
    for name, samples in results.items():
        median = statistics.median(samples)
        peer = ministack.get(name.replace("the local front", "MiniStack"))
        versus = f"{median / statistics.median(peer):>12.2f}" if peer else f"{'':>12}"
        print(f"{name:<58} {median:>10.2f} {p95(samples):>8.2f} {p99(samples):>8.2f} {median / baseline:>11.2f} {versus}")
    for name, samples in ministack.items():
        median = statistics.median(samples)
        print(f"{name:<58} {median:>10.2f} {p95(samples):>8.2f} {p99(samples):>8.2f} {median / baseline:>11.2f} {1:>12.2f}")


def p99(samples: list[float]) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * 0.99))]


def measure_ministack(count: int) -> dict[str, list[float]]:
    """The same calls against MiniStack (its command in $MINISTACK), started on a free port."""
    import subprocess

    port = free_port()
    process = subprocess.Popen([os.environ["MINISTACK"]], env={**os.environ, "GATEWAY_PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        deadline = time.monotonic() + 30
        while True:
            try:
                s3.create_bucket(Bucket="bench-input")
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert time.monotonic() < deadline, "MiniStack did not start"
                time.sleep(0.2)
        s3.put_object(Bucket="bench-input", Key="docs/a.txt", Body=b"Hello\n")
        translate = boto3.client("translate", endpoint_url=endpoint, region_name=REGION)
        jobs = [translate.start_text_translation_job(
            InputDataConfig={"S3Uri": "s3://bench-input/docs/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": "s3://bench-input/out/"},
            DataAccessRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/BenchRole", SourceLanguageCode="en",
            TargetLanguageCodes=["fr"])["JobId"] for _ in range(count + WARMUP)]

        def stop(job_id: str) -> None:
            translate.stop_text_translation_job(JobId=job_id)

        def describe(job_id: str) -> None:
            translate.describe_text_translation_job(JobId=job_id)

        def stop_unknown(job_id: str) -> None:
            with contextlib.suppress(translate.exceptions.ResourceNotFoundException):
                translate.stop_text_translation_job(JobId=job_id)

        timed(stop, jobs[:WARMUP])
        unknown = [uuid.uuid4().hex for _ in range(count)]
        return {
            "Stop via boto3 through MiniStack": timed(stop, jobs[WARMUP:]),
            "Describe via boto3 through MiniStack": timed(describe, jobs[WARMUP:]),
            "Stop of an unknown job via boto3 through MiniStack": timed(stop_unknown, unknown),
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure(count: int) -> dict[str, list[float]]:
    stack = LocalStack(port=free_port(), emulator_port=free_port()).start()
    try:
        table = stack.stack.table_name
        translate = boto3.client(
            "translate", endpoint_url=stack.api_url, region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        dynamodb = boto3.client("dynamodb", endpoint_url=stack.emulator_url, region_name=REGION)

        def stop(job_id: str) -> None:
            assert translate.stop_text_translation_job(JobId=job_id)["JobStatus"] == "STOP_REQUESTED"

        def describe(job_id: str) -> None:
            translate.describe_text_translation_job(JobId=job_id)

        def update(job_id: str) -> None:
            dynamodb.update_item(
                TableName=table,
                Key={"AccountId": {"S": DEFAULT_ACCOUNT}, "JobId": {"S": job_id}},
                UpdateExpression="SET #s = :requested, #t = :now",
                ConditionExpression="attribute_exists(#id) AND #s IN (:submitted, :running)",
                ExpressionAttributeNames={"#s": "JobStatus", "#t": "StopRequestedTime", "#id": "JobId"},
                ExpressionAttributeValues={
                    ":requested": {"S": "STOP_REQUESTED"}, ":now": {"N": str(time.time())},
                    ":submitted": {"S": "SUBMITTED"}, ":running": {"S": "IN_PROGRESS"},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ReturnValues="ALL_NEW",
            )

        warm = create_jobs(WARMUP * 3)
        timed(stop, warm[:WARMUP])
        timed(describe, warm[WARMUP:2 * WARMUP])
        timed(update, warm[2 * WARMUP:])

        def stop_unknown(job_id: str) -> None:
            with contextlib.suppress(translate.exceptions.ResourceNotFoundException):
                translate.stop_text_translation_job(JobId=job_id)

        stop_jobs, baseline_jobs = create_jobs(count), create_jobs(count)
        unknown = [uuid.uuid4().hex for _ in range(count)]
        results = {
            "UpdateItem straight to the emulator (baseline)": timed(update, baseline_jobs),
            "Stop via boto3 through the local front": timed(stop, stop_jobs),
            "Describe via boto3 through the local front": timed(describe, stop_jobs),
            "Stop of an unknown job via boto3 through the local front": timed(stop_unknown, unknown),
        }
    finally:
        stack.stop()
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
