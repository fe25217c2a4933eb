"""PlanBatches over 1,000,000 long keys and FinalizeJob over 100,000 batch results (1,000,000 documents):
the real functions in-process against moto, before (the code of BASELINE_REF, exported with `git archive`)
and after (this tree), side by side in one run: compare the ratios, this machine is shared and noisy.

    .venv/bin/python tests/benchmarks/scale_functions.py [--keys N] [--key-length L] [--batches N] [--baseline REF]

Each measurement runs in a fresh subprocess (peak RSS = its ru_maxrss; "growth" is that minus its RSS
just before the call, i.e. what the function itself added). What is fed, not stored, so that moto's own
memory and its O(n) listing do not drown the functions' figures (moto keeps every object in memory
and sorts the whole bucket for each list page):
- the input listing is synthetic: moto's ListObjectsV2 answers pages of keys made up on the fly
  (moto still renders each page's XML and botocore parses it, as on AWS);
- the 100,000 result fragments are synthetic too: listed and answered by moto on the fly, 10
  documents each (what TranslateBatch writes for a batch of 10);
- what the functions write (the manifest, the details file) reaches moto, which keeps only its length.
"""

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]
BASELINE_REF = "db61481"  # main before issue 10: one JSON manifest put whole, details built in memory
INPUT_BUCKET, OUTPUT_BUCKET = "scale-input", "scale-output"
DOCUMENTS_PER_BATCH = 10


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------- in the subprocess: one function, one tree ----------


def _feed_moto(keys: int, key_length: int, batches: int) -> dict[str, int]:
    """Synthetic listings and fragments; writes to the output and work buckets keep only their length."""
    import moto.s3.models as s3_models
    from moto.s3.models import FakeKey, S3Backend

    written = {"bytes": 0, "requests": 0}
    filler = "x" * max(1, key_length - len("docs/") - len("-0000000.txt"))

    def input_key(n: int) -> str:
        return f"docs/{filler}-{n:07d}.txt"

    class Untracked(FakeKey):  # moto keeps every model it makes (a list per class): not these
        __module__ = "benchmark.s3"

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return object.__new__(cls)

    class Listed(Untracked):  # what a list page shows of an object, without its body
        __module__ = "benchmark.s3"
        etag = '"d41d8cd98f00b204e9800998ecf8427e"'
        storage_class = "STANDARD"
        checksum_algorithm = None
        disposed = True
        last_modified_ISO8601 = "2026-11-29T00:00:00.000Z"  # noqa: N815 - moto's name

        def __init__(self, name: str, size: int) -> None:  # not FakeKey's: it would allocate a body
            self.name, self._listed_size = name, size

        @property
        def size(self) -> int:  # type: ignore[override]
            return self._listed_size

    def fragment_key(prefix: str, n: int) -> str:
        return f"{prefix}batch-{n:07d}.json"

    list_objects_v2 = S3Backend.list_objects_v2

    def listing(self: Any, bucket: Any, prefix: Any, delimiter: Any, continuation_token: Any, start_after: Any,
                max_keys: int) -> Any:
        if bucket.name == INPUT_BUCKET:
            total, name = keys, input_key
        elif prefix and prefix.startswith("results/"):
            total, name = batches, lambda n: fragment_key(prefix, n)
        else:
            return list_objects_v2(self, bucket, prefix, delimiter, continuation_token, start_after, max_keys)
        first = int(continuation_token) if continuation_token else 0
        if start_after and not continuation_token:
            first = int(start_after.rsplit("-", 1)[1].split(".")[0]) + 1
        last = min(total, first + max_keys)
        page = [Listed(name(n), 1000) for n in range(first, last)]
        return page, last < total, str(last) if last < total else None

    get_object = S3Backend.get_object

    def fragment(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        if "/batch-" not in key_name or not key_name.startswith("results/"):
            return get_object(self, bucket_name, key_name, *args, **kwargs)
        batch = int(key_name.rsplit("-", 1)[1].split(".")[0])
        documents = []
        for n in range(DOCUMENTS_PER_BATCH):
            source = f"{filler[:60]}/{batch:07d}-{n}.txt"
            if n == 7:
                documents.append({"SourceFile": source, "Status": "FAILED", "Error": "The document is not valid UTF-8."})
            else:
                documents.append({"SourceFile": source, "Status": "SUCCEEDED", "Targets": [
                    {"TargetLanguageCode": "fr", "TargetFile": f"{filler[:60]}/fr.{batch:07d}-{n}.txt", "Characters": 640}]})
        return Untracked(key_name, json.dumps(documents).encode(), self.account_id, self.region_name, bucket_name=bucket_name)

    put_object = S3Backend.put_object

    def sink(self: Any, bucket_name: str, key_name: str, value: bytes, *args: Any, **kwargs: Any) -> Any:
        if key_name.startswith("manifests/") or bucket_name == OUTPUT_BUCKET:
            written["bytes"] += len(value)
            written["requests"] += 1
            value = b""
        return put_object(self, bucket_name, key_name, value, *args, **kwargs)

    upload_part = S3Backend.upload_part

    def sink_part(self: Any, bucket_name: str, multipart_id: str, part_id: int, value: bytes) -> Any:
        written["bytes"] += len(value)
        written["requests"] += 1
        return upload_part(self, bucket_name, multipart_id, part_id, b"")

    S3Backend.list_objects_v2 = listing  # type: ignore[method-assign]
    S3Backend.get_object = fragment  # type: ignore[method-assign]
    S3Backend.put_object = sink  # type: ignore[method-assign]
    S3Backend.upload_part = sink_part  # type: ignore[method-assign]
    s3_models.S3_UPLOAD_PART_MIN_SIZE = 0  # the parts' bodies were dropped
    return written


def measure(function: str, code: Path, keys: int, key_length: int, batches: int) -> dict[str, Any]:
    sys.path[:0] = [str(code), str(code / "layers" / "shared"), str(code / "tests")]
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
    import boto3

    try:  # the session stack of the tests: tests/support/stack.py, or the conftest of before
        from tests.support import stack as conftest
    except ImportError:
        import conftest  # type: ignore[no-redef]

    conftest.SESSION.get()  # template.yaml provisioned into moto, as for the tests
    written = _feed_moto(keys, key_length, batches)
    s3 = boto3.client("s3", region_name=conftest.REGION)
    s3.create_bucket(Bucket=INPUT_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    try:  # dependencies injected: the steps are given what a worker function builds from its environment
        from translate_jobs.core.config import Settings
        from translate_jobs.workflow import steps as workflow
        from translate_jobs.workflow.dependencies import WorkflowDependencies

        dependencies = WorkflowDependencies.from_settings(Settings.from_environ(os.environ))
        job_store: Any = lambda: dependencies.store  # noqa: E731
        step: Any = lambda name: functools.partial(getattr(workflow, name), dependencies)  # noqa: E731
    except ImportError:
        try:  # the layered library (translate_jobs/<layer>/...), or the flat one of before, each step fetching its own
            from translate_jobs.dal.store import job_store
            from translate_jobs.workflow import steps as workflow
        except ImportError:
            from translate_jobs import workflow  # type: ignore[no-redef]
            from translate_jobs.store import job_store  # type: ignore[no-redef]
        step = lambda name: getattr(workflow, name)  # noqa: E731

    if function == "list":  # the listing alone, as PlanBatches pages it: what any plan costs at least
        call: Any = lambda: sum(len(page.get("Contents", [])) for page in  # noqa: E731
                                s3.get_paginator("list_objects_v2").paginate(Bucket=INPUT_BUCKET, Prefix="docs/"))
        job_id = ""
    else:
        job_id = conftest.put_job("IN_PROGRESS", input_documents_count=batches * DOCUMENTS_PER_BATCH,
                                  translated_documents_count=batches * (DOCUMENTS_PER_BATCH - 1),
                                  documents_with_errors_count=batches, batch_count=batches)
        try:  # the item as PynamoDB writes it (the store returns a domain Job now)
            from translate_jobs.dal.store import JobRecord
        except ImportError:
            from translate_jobs.store import JobRecord  # type: ignore[no-redef]
        job_store()  # binds JobRecord to the template's table
        record = JobRecord.get(conftest.ACCOUNT, job_id)
        record.input_data_config = {"S3Uri": f"s3://{INPUT_BUCKET}/docs/", "ContentType": "text/plain"}
        record.output_data_config = {"S3Uri": f"s3://{OUTPUT_BUCKET}/out/{conftest.ACCOUNT}-TranslateText-{job_id}/"}
        record.save()
        if function == "plan":
            call = lambda: step("plan_batches")(conftest.ACCOUNT, job_id)  # noqa: E731
        else:
            call = lambda: step("finalize_job")(conftest.ACCOUNT, job_id)  # noqa: E731
    before_mb, cpu = _rss_mb(), time.process_time()
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": time.process_time() - cpu, "peak_mb": _peak_mb(), "before_mb": before_mb,
            "result": result, "written_mb": written["bytes"] / 2**20, "write_requests": written["requests"]}


# ---------- the orchestrator ----------


def _export(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="translate-jobs-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def _run(function: str, code: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(HERE), "--measure", function, "--code", str(code), "--keys", str(args.keys),
               "--key-length", str(args.key_length), "--batches", str(args.batches)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3 * 3600)
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1][:100]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _row(label: str, figures: dict[str, Any]) -> str:
    if "error" in figures:
        return f"| {label} | failed: {figures['error']} | | | | |"
    result = figures["result"]
    answer = result.get("BatchCount", result.get("JobStatus", result)) if isinstance(result, dict) else result
    return (f"| {label} | {figures['seconds']:.1f} | {figures['cpu']:.1f} | {figures['peak_mb']:.0f} | "
            f"{figures['peak_mb'] - figures['before_mb']:.0f} | {figures['written_mb']:.0f} MB in "
            f"{figures['write_requests']} requests | {answer} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--key-length", type=int, default=1000, help="bytes per input key (S3 allows 1,024)")
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--baseline", default=BASELINE_REF, help="the git ref measured as 'before'")
    parser.add_argument("--skip-before", action="store_true", help="only this tree (the code before does not finish at 1M)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.code), args.keys, args.key_length, args.batches), default=str))
        return
    before = _export(args.baseline)
    print(f"PlanBatches over {args.keys:,} keys of {args.key_length} bytes; FinalizeJob over {args.batches:,} batch "
          f"results of {DOCUMENTS_PER_BATCH} documents. before = {args.baseline}, after = this tree.\n")
    print("| run | seconds | CPU s | peak RSS MB | growth MB | written | answer |")
    print("|---|---|---|---|---|---|---|")
    print(_row("listing alone (floor of any plan)", _run("list", ROOT, args)))
    for function, name in (("plan", "PlanBatches"), ("finalize", "FinalizeJob")):
        for label, code in (("before", before), ("after", ROOT)):
            if label == "before" and args.skip_before:
                continue
            print(_row(f"{name}, {label}", _run(function, code, args)), flush=True)


if __name__ == "__main__":
    main()
