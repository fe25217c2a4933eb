"""How much slower a job runs when AWS fails: a 1,000-document job with no faults, then with 5% of the
functions' AWS calls failing (local_stack.faults), side by side in one run (compare the ratio: this
machine is noisy).   .venv/bin/python tests/benchmarks/fault_slowdown.py [documents] [rate]
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"

import boto3  # noqa: E402

from local_stack import faults  # noqa: E402
from tests.support import stack as stack_support  # noqa: E402
from translate_jobs_local.app import TRANSLATE_JOBS  # noqa: E402


def run_job(stack: object, documents: int, spec: str) -> tuple[float, str, int, int]:
    stack = stack_support.SESSION.reset()
    stack_support.configure(stack, BATCH_SIZE="10")
    s3 = boto3.client("s3", region_name=stack_support.REGION)
    s3.create_bucket(Bucket="input-docs")
    s3.create_bucket(Bucket="output-docs")
    for n in range(documents):
        s3.put_object(Bucket="input-docs", Key=f"docs/d{n:05d}.txt", Body=f"Document {n}.\n".encode())
    plan = faults.FaultPlan.parse(spec, TRANSLATE_JOBS.faults) if spec else None
    faults.activate(plan)
    started = time.perf_counter()
    job_id = stack_support.start_job(stack)
    execution = stack_support.wait_for_execution(stack, job_id, timeout=3600)
    elapsed = time.perf_counter() - started
    faults.activate(None)
    assert execution["status"] == "SUCCEEDED", execution
    item = stack_support.raw_item(stack.table_name, stack_support.ACCOUNT, job_id)
    assert item is not None
    return elapsed, item["JobStatus"]["S"], sum(plan.injected.values()) if plan else 0, plan.calls if plan else 0


def main() -> None:
    documents = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rate = sys.argv[2] if len(sys.argv) > 2 else "0.05"
    stack = stack_support.SESSION.get()
    base = run_job(stack, documents, "")
    faulty = run_job(stack, documents, f"rate={rate},seed=1")
    print(f"{documents}-document job          | time to end | status    | faults injected / AWS calls")
    print(f"no faults                    | {base[0]:8.1f} s  | {base[1]:9} |")
    print(f"{float(rate):.0%} of AWS calls failing    | {faulty[0]:8.1f} s  | {faulty[1]:9} | {faulty[2]} / {faulty[3]}")
    print(f"slowdown: {faulty[0] / base[0]:.2f}x")
    stack_support.SESSION.suspend()


if __name__ == "__main__":
    main()
