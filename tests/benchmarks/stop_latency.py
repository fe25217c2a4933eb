"""`make bench`: issue 13's goals, each beside its reference measured in the same run, in one table.

Measures, on free ports:
  1. against `python -m translate_jobs_local run` (what `make run` runs) in a process of its own, as a user's
     client sees it: Stop, Describe, Start (one job at a time, and back to back) and a Stop of an
     unknown job (the ConditionalCheckFailed path) via boto3's Translate client through the front,
     beside the same calls against MiniStack (the in-memory emulator with Translate jobs, also a
     process of its own; its command in $MINISTACK, `make bench` installs it), alternating one
     request to each (so both see the same load), median and p99 (and, for reference, Stop's
     UpdateItem sent straight to the emulator port);
  then, on the stack started in this process (as `make run` starts it):
  2. the API function's Stop handler called in-process (warm), beside bare_handler.py (boto3 alone,
     the same conditional UpdateItem); a cold start of each (cold_start.py in a fresh interpreter:
     import + first Stop, with the function's template environment); the built layer's size;
  4. documents per CPU-second of this whole process for one 1,000-document job.
Goal 3 (memory) is tests/benchmarks/memory.py (`make bench-memory`). The ratios are what matter:
this machine is shared and noisy. "Before" figures: run this file from a checkout of the old code.

Usage: .venv/bin/python tests/benchmarks/stop_latency.py [N]
"""

import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
for entry in (ROOT, ROOT / "layers" / "shared", Path(__file__).parent):  # the last: bare_handler
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from make_run import MakeRun, free_port  # noqa: E402 - it keeps the user's environment, before the defaults below

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import boto3  # noqa: E402

from local_stack.stack import DEFAULT_ACCOUNT, LocalStack  # noqa: E402
from translate_jobs_local.app import TRANSLATE_JOBS  # noqa: E402

REGION = "us-east-1"
WARMUP = 10
ROOT_CALLER = f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"  # who the front says calls: the account root


def create_jobs(count: int, dynamodb: Any = None, table: str = "") -> list[str]:
    """IN_PROGRESS jobs of the default account, as the store writes them (JobRecord), through ``dynamodb``
    (default: the in-process stack's moto and its table)."""
    from translate_jobs.dal.store import JobRecord

    if dynamodb is None:  # the in-process stack has set the functions' environment
        dynamodb, table = boto3.client("dynamodb", region_name=REGION), os.environ["JOBS_TABLE_NAME"]
    ids = []
    for first in range(0, count, 25):
        items = []
        for _ in range(min(25, count - first)):
            job_id = uuid.uuid4().hex
            items.append({"PutRequest": {"Item": JobRecord(
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
            ).serialize()}})
            ids.append(job_id)
        assert not dynamodb.batch_write_item(RequestItems={table: items}).get("UnprocessedItems")
    return ids


def events_settled(sqs: Any) -> None:
    """Wait until the stack's events pipeline is idle: the local events queue (it receives every event on
    the bus) has not grown for a second. Jobs written straight to the table each make a state change
    event: the requests measured next should not share the stack with publishing those."""
    from translate_jobs_local.app import LOCAL_EVENTS_QUEUE

    url = sqs.get_queue_url(QueueName=LOCAL_EVENTS_QUEUE)["QueueUrl"]
    deadline, last, since = time.monotonic() + 120, -1, time.monotonic()
    while True:
        count = int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"]["ApproximateNumberOfMessages"])
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= 1.0:  # two delivery intervals (local_stack.delivery polls every 0.5 s)
            return
        assert time.monotonic() < deadline, "the events pipeline did not settle"
        time.sleep(0.1)  # polling a condition with a deadline


def timed(call: Callable[[str], object], job_ids: list[str]) -> list[float]:
    samples = []
    for job_id in job_ids:
        started = time.perf_counter()
        call(job_id)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


TARGETS = {"MiniStack": 3.0, "bare boto3 handler": 1.2}
FAILURES: dict[str, int] = {}  # requests answered 500 (not timed), by measurement


def main(count: int) -> None:
    # The functions log and emit metrics to stdout (as in Lambda); keep the table readable.
    # (and the runtime logs each function error to stderr, as Lambda does: the Start jobs' are expected).
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        results, ministack, extra = measure(count)
    print(f"issue 13, measured side by side in one run: N={count} requests each, sequential "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    print(f"{'goal':<5}{'measurement':<52}{'median':>9}{'p99':>9}  {'reference (same run)':<34}{'median':>9}{'p99':>9}"
          f"{'ratio':>8}{'target':>8}")
    rows = [
        ("1", "Stop via boto3 through the local front (ms)", results["Stop"], "MiniStack", ministack.get("Stop")),
        ("1", "Describe via boto3 through the local front (ms)", results["Describe"], "MiniStack", ministack.get("Describe")),
        ("1", "One Start at a time, each job finished first (ms)", results["Start one at a time"], "MiniStack",
         ministack.get("Start one at a time")),
        ("1", f"Start, {count} back to back (their jobs running) (ms)", results["Start"], "MiniStack", ministack.get("Start")),
        ("1", "Stop of an unknown job through the local front (ms)", results["Stop unknown"], "MiniStack",
         ministack.get("Stop unknown")),
        ("-", "UpdateItem straight to the emulator port (ms)", results["UpdateItem"], "MiniStack", ministack.get("Stop")),
        ("2", "Stop handler in-process, warm (ms)", results["Stop in-process"], "bare boto3 handler",
         results["bare in-process"]),
        ("2", "cold start: fresh interpreter, import (ms)", results["import"], "bare boto3 handler", results["bare import"]),
        ("2", "cold start: import + first Stop (ms)", results["cold"], "bare boto3 handler", results["bare cold"]),
    ]
    for goal, name, ours, reference, theirs in rows:
        if not ours:
            print(f"{goal:<5}{name:<52}{'(no successful request)':>26}  ({FAILURES.get(name.split()[0], 0)} answered 500)")
            continue
        line = f"{goal:<5}{name:<52}{statistics.median(ours):>9.2f}{p99(ours):>9.2f}  {reference:<34}"
        if theirs:
            ratio = statistics.median(ours) / statistics.median(theirs)
            target = f"<={TARGETS[reference]:g}" if goal != "-" else ""
            line += f"{statistics.median(theirs):>9.2f}{p99(theirs):>9.2f}{ratio:>8.2f}{target:>8}"
        else:
            line += f"{'(not run: set MINISTACK)':>26}"
        print(line + (f"  ({FAILURES[name.split()[0]]} answered 500)" if FAILURES.get(name.split()[0]) else ""))
    print(f"{'2':<5}{'layer size, built (MB; make build)':<52}{extra['layer_mb']:>9}")
    print(f"{'4':<5}{'documents per CPU-second, one 1,000-document job':<52}{extra['docs_per_cpu_second']:>9.1f}"
          f"  ({extra['job_cpu_seconds']:.1f} CPU-s, {extra['job_seconds']:.1f} s, {extra['job_status']}; "
          "compare with the same line on the code before)")
    if extra["interleaved"]:
        print("     MiniStack interleaved with ours, request by request (the same load from the rest of the machine, but our")
        print("     stack's background work beside it too), medians in ms and our ratio to them: " + ", ".join(
            f"{name} {statistics.median(samples):.2f} ({statistics.median(results[name]) / statistics.median(samples):.2f}x)"
            for name, samples in extra["interleaved"].items()))
    print("goal 3 (memory that stays flat): make bench-memory")


def p99(samples: list[float]) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * 0.99))]


class MiniStack:
    """MiniStack (its command in $MINISTACK) on a free port, answering the same calls as the front."""

    def __init__(self) -> None:
        import subprocess

        port = free_port()
        self.process = subprocess.Popen([os.environ["MINISTACK"]], env={**os.environ, "GATEWAY_PORT": str(port)},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        endpoint = f"http://127.0.0.1:{port}"
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
        self.translate = boto3.client("translate", endpoint_url=endpoint, region_name=REGION)

    def start(self, _: str = "") -> str:
        return str(self.translate.start_text_translation_job(
            InputDataConfig={"S3Uri": "s3://bench-input/docs/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": "s3://bench-input/out/"},
            DataAccessRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/BenchRole", SourceLanguageCode="en",
            TargetLanguageCodes=["fr"])["JobId"])

    def stop(self, job_id: str) -> None:
        self.translate.stop_text_translation_job(JobId=job_id)

    def describe(self, job_id: str) -> None:
        self.translate.describe_text_translation_job(JobId=job_id)

    def stop_unknown(self, job_id: str) -> None:
        with contextlib.suppress(self.translate.exceptions.ResourceNotFoundException):
            self.translate.stop_text_translation_job(JobId=job_id)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def paired(ours: Callable[[str], object], our_ids: list[str], theirs: Callable[[str], object] | None,
           their_ids: list[str], into: dict[str, list[float]], reference: dict[str, list[float]], name: str) -> None:
    """One of ours, then one of theirs, and so on: both see the same machine (its load changes by the minute)."""
    into[name], reference[name] = [], []
    for index, job_id in enumerate(our_ids):
        into[name] += timed(ours, [job_id])
        if theirs is not None:
            reference[name] += timed(theirs, [their_ids[index]])


def measure(count: int) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, Any]]:
    """Goal 1 against `make run` in its own process, beside MiniStack's (when $MINISTACK names it), request
    by request; then goals 2 and 4 on the stack started in this process."""
    from translate_jobs_local import output

    ministack = MiniStack() if os.environ.get("MINISTACK") else None
    theirs: dict[str, list[float]] = {}
    results: dict[str, list[float]] = {}
    run = MakeRun()
    try:
        translate, dynamodb, table = run.translate, run.dynamodb, run.jobs_table

        def stop(job_id: str) -> None:
            assert translate.stop_text_translation_job(JobId=job_id)["JobStatus"] == "STOP_REQUESTED"

        def describe(job_id: str) -> None:
            translate.describe_text_translation_job(JobId=job_id)

        from stop_update import stop_request  # the bare handler's UpdateItem, sent straight to the emulator port

        def update(job_id: str) -> None:
            dynamodb.update_item(**stop_request(table, DEFAULT_ACCOUNT, job_id, ROOT_CALLER))

        def stop_unknown(job_id: str) -> None:
            with contextlib.suppress(translate.exceptions.ResourceNotFoundException):
                translate.stop_text_translation_job(JobId=job_id)

        def jobs(count: int) -> list[str]:
            return create_jobs(count, dynamodb, table)

        warm = jobs(WARMUP * 3)
        timed(stop, warm[:WARMUP])
        timed(describe, warm[WARMUP:2 * WARMUP])
        timed(update, warm[2 * WARMUP:])

        stop_jobs, baseline_jobs = jobs(count), jobs(count)
        unknown = [uuid.uuid4().hex for _ in range(count)]
        their_jobs = [ministack.start() for _ in range(count + WARMUP)] if ministack else []
        if ministack:
            timed(ministack.stop, their_jobs[:WARMUP])
        their_jobs = their_jobs[WARMUP:]
        events_settled(run.sqs)
        results["UpdateItem"] = timed(update, baseline_jobs)
        events_settled(run.sqs)
        paired(stop, stop_jobs, ministack.stop if ministack else None, their_jobs, results, theirs, "Stop")
        events_settled(run.sqs)
        paired(describe, stop_jobs, ministack.describe if ministack else None, their_jobs, results, theirs, "Describe")
        paired(stop_unknown, unknown, ministack.stop_unknown if ministack else None, unknown, results, theirs, "Stop unknown")
        results["Start one at a time"], theirs["Start one at a time"] = measure_starts_one_at_a_time(run, ministack)
        results["Start"], theirs["Start"] = measure_starts(run, count, ministack)
    finally:
        run.close()

    restore_output = output.install()  # as `python -m translate_jobs_local run` does
    stack = LocalStack(app=TRANSLATE_JOBS, port=free_port(), emulator_port=free_port()).start()
    try:
        assert stack.stack is not None
        results.update(measure_in_process(stack, count))
        results.update(measure_cold_starts(stack))
        extra = measure_throughput(stack, boto3.client(
            "translate", endpoint_url=stack.api_url, region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing"))
    finally:
        stack.stop()
        restore_output()
    alone: dict[str, list[float]] = {}
    if ministack:
        try:
            alone = measure_ministack_alone(ministack, count)
        finally:
            ministack.close()
    extra["layer_mb"] = layer_size_mb()
    extra["interleaved"] = theirs if ministack else {}
    return results, alone, extra


def measure_ministack_alone(ministack: MiniStack, count: int) -> dict[str, list[float]]:
    """MiniStack's calls again once our stack has stopped: nothing of ours runs beside them (the reference
    the table uses; the interleaved figures also shared our stack's background work, workflows included)."""
    starts = timed(ministack.start, [""] * (count + WARMUP))[WARMUP:]
    jobs = [ministack.start() for _ in range(count + WARMUP)]
    timed(ministack.stop, jobs[:WARMUP])
    return {"Stop": timed(ministack.stop, jobs[WARMUP:]), "Describe": timed(ministack.describe, jobs[WARMUP:]),
            "Stop unknown": timed(ministack.stop_unknown, [uuid.uuid4().hex for _ in range(count)]), "Start": starts,
            "Start one at a time": starts}  # MiniStack's Start runs no workflow: the same either way


def stop_event(stack: LocalStack, job_id: str) -> dict[str, Any]:
    """The HTTP API's event for an AWS JSON Stop, as the front builds it."""
    from local_stack.front import build_event

    assert stack.stack is not None
    route = next(route for route in stack.stack.routes if route.route_key == "POST /")
    headers = {"content-type": "application/x-amz-json-1.1", "host": "127.0.0.1",
               "x-amz-target": "AWSShineFrontendService_20170701.StopTextTranslationJob"}
    return build_event(route, "POST", "/", "", headers, json.dumps({"JobId": job_id}).encode(), {}, DEFAULT_ACCOUNT, "127.0.0.1")


def measure_in_process(stack: LocalStack, count: int) -> dict[str, list[float]]:
    """Goal 2, warm: the API function's handler called directly (moto in-process, as `make run` serves
    it, no front, no HTTP) beside the bare boto3 handler, alternating, on the same table. Each call is
    served as the front serves a request (local_stack.foreground): the stack's background work (the
    events each Stop causes) waits, for both alike, instead of landing in whichever call comes next."""
    import bare_handler

    from local_stack.foreground import serving
    from local_stack.runtime import LambdaContext

    assert stack.stack is not None
    function = stack.stack.runtime.find("ApiFunction")
    api = stack.stack.runtime.handler(function)
    jobs = create_jobs(2 * (count + WARMUP))
    events_settled(boto3.client("sqs", region_name=REGION))
    api_samples, bare_samples = [], []
    for index, (ours, theirs) in enumerate(zip(jobs[::2], jobs[1::2], strict=True)):
        event, context = stop_event(stack, ours), LambdaContext(function)
        bare_event = stop_event(stack, theirs)
        started = time.perf_counter()
        with serving():
            assert api(event, context)["statusCode"] == 200
        middle = time.perf_counter()
        with serving():
            bare_handler.handler(bare_event, None)
        ended = time.perf_counter()
        if index >= WARMUP:
            api_samples.append((middle - started) * 1000)
            bare_samples.append((ended - middle) * 1000)
    return {"Stop in-process": api_samples, "bare in-process": bare_samples}


def measure_cold_starts(stack: LocalStack, runs: int = 7) -> dict[str, list[float]]:
    """Goal 2, cold: a fresh interpreter imports the handler with the function's template environment
    and serves its first Stop (over the emulator port: no moto in the child), alternating API and bare."""
    import subprocess
    import tempfile

    assert stack.stack is not None
    function = stack.stack.runtime.find("ApiFunction")
    env = {"PATH": os.environ.get("PATH", ""), **function.environment, "AWS_ENDPOINT_URL": stack.emulator_url,
           "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "DEFAULT_ACCOUNT_ID": DEFAULT_ACCOUNT,
           "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{function.code_dir}", "PYTHONDONTWRITEBYTECODE": "1"}
    handlers = {"": function.code_dir / f"{function.handler.rpartition('.')[0]}.py",
                "bare ": Path(__file__).parent / "bare_handler.py"}
    samples: dict[str, list[float]] = {f"{kind}{what}": [] for kind in handlers for what in ("import", "cold")}
    with tempfile.TemporaryDirectory() as scratch:
        for job_id in create_jobs(2 * runs + 2):
            kind = "" if len(samples["import"]) <= len(samples["bare import"]) else "bare "
            if len(samples[f"{kind}import"]) > runs:
                continue
            event_file = Path(scratch) / f"{job_id}.json"
            event_file.write_text(json.dumps(stop_event(stack, job_id)))
            child = subprocess.run([sys.executable, str(Path(__file__).parent / "cold_start.py"), str(handlers[kind]),
                                    str(event_file)], env=env, cwd=scratch, capture_output=True, text=True, check=True)
            timings = json.loads(child.stderr.strip().splitlines()[-1])
            samples[f"{kind}import"].append(timings["import_ms"])
            samples[f"{kind}cold"].append(timings["cold_ms"])
    # The first run of each warms the disk cache: the rest are the cold starts Lambda sees.
    return {name: values[1:] for name, values in samples.items()}


def measure_throughput(stack: LocalStack, translate: Any, documents: int = 1000) -> dict[str, Any]:
    """Goal 4: one job of `documents` small text documents, start to end; CPU of this whole process
    (the front, the functions, moto, the workflow) per translated document."""
    from concurrent.futures import ThreadPoolExecutor

    from translate_jobs_local.app import DEMO_BUCKETS, DEMO_ROLE

    s3 = boto3.client("s3", region_name=REGION, endpoint_url=stack.emulator_url)
    prefix = f"throughput-{uuid.uuid4().hex[:8]}/"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket=DEMO_BUCKETS[0], Key=f"{prefix}doc{n:05}.txt",
                                              Body=f"Hello, world number {n}.\n".encode()), range(documents)))
    cpu, wall = time.process_time(), time.perf_counter()
    job_id = translate.start_text_translation_job(
        JobName="throughput", InputDataConfig={"S3Uri": f"s3://{DEMO_BUCKETS[0]}/{prefix}", "ContentType": "text/plain"},
        OutputDataConfig={"S3Uri": f"s3://{DEMO_BUCKETS[1]}/{prefix}"}, DataAccessRoleArn=DEMO_ROLE,
        SourceLanguageCode="en", TargetLanguageCodes=["fr"],
    )["JobId"]
    deadline = time.monotonic() + 900
    while True:
        job = translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]
        if job["JobStatus"] in ("COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"):
            break
        assert time.monotonic() < deadline, f"the throughput job is still {job['JobStatus']}"
        time.sleep(0.2)  # polling a condition with a deadline
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    translated = job.get("JobDetails", {}).get("TranslatedDocumentsCount", 0)
    return {"docs_per_cpu_second": translated / cpu, "job_cpu_seconds": cpu, "job_seconds": wall,
            "job_status": f"{job['JobStatus']} {translated}/{documents}"}


def start_request(run: MakeRun) -> Callable[[], str]:
    """A Start of a one-document job on `make run` (the document uploaded once)."""
    from translate_jobs_local.app import DEMO_BUCKETS, DEMO_ROLE

    run.s3.put_object(Bucket=DEMO_BUCKETS[0], Key="start-bench/doc.txt", Body=b"Hello.\n")

    def start() -> str:
        return str(run.translate.start_text_translation_job(
            InputDataConfig={"S3Uri": f"s3://{DEMO_BUCKETS[0]}/start-bench/", "ContentType": "text/plain"},
            OutputDataConfig={"S3Uri": f"s3://{DEMO_BUCKETS[1]}/out/"}, DataAccessRoleArn=DEMO_ROLE,
            SourceLanguageCode="en", TargetLanguageCodes=["fr"],
        )["JobId"])

    return start


def measure_starts_one_at_a_time(run: MakeRun, ministack: MiniStack | None, count: int = 30) -> tuple[list[float], list[float]]:
    """Start as one user starting one job feels it: each job is finished (not timed) before the next Start."""
    start, samples, theirs = start_request(run), [], []
    for _ in range(count + WARMUP):
        started = time.perf_counter()
        job_id = start()
        samples.append((time.perf_counter() - started) * 1000)
        if ministack:
            theirs += timed(ministack.start, [""])
        deadline = time.monotonic() + 60
        while run.translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]["JobStatus"] in (
                "SUBMITTED", "IN_PROGRESS"):
            assert time.monotonic() < deadline, f"job {job_id} did not finish"
            time.sleep(0.05)  # polling a condition with a deadline
    return samples[WARMUP:], theirs[WARMUP:]


def measure_starts(run: MakeRun, count: int, ministack: MiniStack | None) -> tuple[list[float], list[float]]:
    """Start back to back (last: each starts a workflow, and they all run beside the Starts that follow),
    each followed by one of MiniStack's."""
    start = start_request(run)
    samples, theirs, failures = [], [], 0
    for _ in range(count + WARMUP):
        started = time.perf_counter()
        try:
            start()
            samples.append((time.perf_counter() - started) * 1000)
        except run.translate.exceptions.InternalServerException:  # counted and shown: a 500 is a finding too
            failures += 1
        if ministack:
            theirs += timed(ministack.start, [""])
    FAILURES["Start"] = failures
    return samples[WARMUP:], theirs[WARMUP:]


def layer_size_mb() -> str:
    """The built shared layer (.aws-sam/build/SharedLayer, from `make build`), in MB."""
    layer = ROOT / ".aws-sam" / "build" / "SharedLayer"
    if not layer.is_dir():
        return "not built"
    return f"{sum(path.stat().st_size for path in layer.rglob('*') if path.is_file()) / 1e6:.1f}"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
