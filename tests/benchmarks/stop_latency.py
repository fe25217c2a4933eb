"""Stop latency through the local front (`make bench`), beside baselines measured in the same run.

Starts the local stack (moto server + API front, as `make run`) on free ports, creates N
IN_PROGRESS jobs, and times:
  - Stop via boto3's Translate client through the front (HTTP -> event -> ApiFunction -> one
    conditional UpdateItem to the emulator -> HTTP response);
  - Describe via the same client (one GetItem);
  - baseline: the same conditional UpdateItem sent straight to the emulator with boto3.
The ratio Stop/baseline is the cost of the front, the handler and the wire, on this machine.

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
    from translate_jobs.store import JobRecord, job_store

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
    baseline = statistics.median(results["UpdateItem straight to the emulator (baseline)"])
    print(f"N={count} requests each, sequential, one process (python {sys.version.split()[0]})")
    print(f"{'measurement':<48} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"{name:<48} {median:>10.2f} {p95(samples):>8.2f} {median / baseline:>11.2f}")


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

        stop_jobs, baseline_jobs = create_jobs(count), create_jobs(count)
        results = {
            "UpdateItem straight to the emulator (baseline)": timed(update, baseline_jobs),
            "Stop via boto3 through the local front": timed(stop, stop_jobs),
            "Describe via boto3 through the local front": timed(describe, stop_jobs),
        }
    finally:
        stack.stop()
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
