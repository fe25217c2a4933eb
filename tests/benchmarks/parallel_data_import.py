"""A parallel data import's cost per megabyte of file, beside reading the file alone, in one run: what sets
MaxParallelDataBytes (an import is one invocation of ParallelDataFunction, at most 900 s, at 1,769 MB: one vCPU).

    .venv/bin/python tests/benchmarks/parallel_data_import.py [--megabytes N] [--spill-megabytes N]

In-process against moto (mock_aws): a TSV of N MB of distinct examples (en -> fr, de) is put in S3, then
1. baseline: the file read and parsed (ExampleReader over the S3 body), nothing written;
2. import: the same, written into the memory's shards (spilling every --spill-megabytes, 64 by default, as
   ParallelDataFunction does) and copied for download: what workflow/parallel_data.py does but its two
   DynamoDB writes.
CPU seconds include moto serving the requests in this process (as a Lambda's would not), so they overstate
the function's own; the machine is shared, so read the ratio of the two rows more than the seconds.
"""

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})


def tsv(megabytes: int) -> bytes:
    out = io.StringIO()
    out.write("en\tfr\tde\n")
    n = 0
    while out.tell() < megabytes * 1024 * 1024:
        out.write(f"Example sentence number {n} about the product.\tPhrase d'exemple numéro {n} sur le produit."
                  f"\tBeispielsatz Nummer {n} über das Produkt.\n")
        n += 1
    return out.getvalue().encode()


def measure(label: str, work: Any) -> tuple[str, float, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    return label, time.process_time() - cpu, time.perf_counter() - wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--spill-megabytes", type=int, default=64)
    arguments = parser.parse_args()

    import boto3
    from moto import mock_aws

    from translate_jobs.domain.parallel_data import ExampleReader
    from translate_jobs.integrations import customization_data
    from translate_jobs.integrations.customization_data import CustomizationFiles, shard_count

    customization_data.SPILL_BYTES = arguments.spill_megabytes * 1024 * 1024
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ("examples", "customizations"):
            s3.create_bucket(Bucket=bucket)
        data = tsv(arguments.megabytes)
        s3.put_object(Bucket="examples", Key="tm.tsv", Body=data)
        del data
        files = CustomizationFiles(s3, "customizations")
        counted: dict[str, int] = {}

        def read_only() -> None:
            reader = ExampleReader(s3.get_object(Bucket="examples", Key="tm.tsv")["Body"], "TSV")
            counted["examples"] = sum(1 for _ in reader.examples())

        def import_all() -> None:
            obj = s3.get_object(Bucket="examples", Key="tm.tsv")
            reader = ExampleReader(obj["Body"], "TSV")
            files.write_memory("pd/", reader.examples(), shard_count(obj["ContentLength"]), None)
            files.copy_input("pd/", "examples", "tm.tsv", "TSV", None, owner="123456789012")
            counted["shards"] = shard_count(obj["ContentLength"])

        rows = [measure("read and parse only (baseline)", read_only), measure("import (shards + copy)", import_all)]
    size = arguments.megabytes
    print(f"parallel data file: {size} MB, {counted['examples']:,} examples, {counted['shards']} shards, "
          f"spill every {arguments.spill_megabytes} MB")
    print(f"{'run':<34} {'CPU s':>8} {'wall s':>8} {'CPU s/MB':>9} {'peak RSS MB':>12}")
    for label, cpu, wall, peak in rows:
        print(f"{label:<34} {cpu:>8.1f} {wall:>8.1f} {cpu / size:>9.3f} {peak:>12.0f}")
    per_mb = rows[1][1] / size
    print(f"=> at one vCPU, 900 s import about {900 / per_mb / 1024:.1f} GB (moto's CPU included: an upper bound on the cost)")


if __name__ == "__main__":
    main()
