"""What each of local_stack.moto_speed's patches is worth on the real workload (`make bench-speed-patches`), so that
one that stops paying for itself (a moto release made it moot, the workload changed) can be deleted.

One stack in this process, started as `make run` starts it. Then, per patch, the patch is undone and made again in
turn (ROUNDS times each way, the same process, tables and load): a Stop (the API function's handler in-process,
median of 60, as `make bench` measures it) and one job of DOCUMENTS small documents (documents per CPU-second of the
whole process). Last, every patch at once. Printed: each figure without the patch over with it (a Stop 1.30: 30%
slower without it; documents 0.80: 20% fewer per CPU-second). Compare ratios: this machine is noisy.

Two patches only show at scale, where one such job does not reach: speed:sqs-send (a queue of many messages: the
local events queue after many jobs) and speed:dynamodb-sort-keys (a Query of a table of many jobs:
tests/benchmarks/moto_query.py). speed:executions-after-the-answer is about Start's answer (`make bench`), not here.

Usage: .venv/bin/python tests/benchmarks/speed_patches.py [DOCUMENTS [ROUNDS]]   (defaults 400 3)
"""

import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import boto3  # noqa: E402
from stop_latency import REGION, free_port, measure_in_process, measure_throughput  # noqa: E402 - sets the environment

from local_stack import patches  # noqa: E402
from local_stack.stack import LocalStack  # noqa: E402
from translate_jobs_local import output  # noqa: E402
from translate_jobs_local.app import TRANSLATE_JOBS  # noqa: E402

MEASURED = [patch for patch in patches.WITH_THE_STACK
            if patch.name.startswith("speed:") and patch.name != "speed:executions-after-the-answer"]


def main(documents: int, rounds: int) -> None:
    names = {patch.name for patch in MEASURED}
    # The stack starts without them; they are made here, one by one, so each can be undone alone.
    patches.WITH_THE_STACK[:] = [patch for patch in patches.WITH_THE_STACK if patch.name not in names]
    table, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines, dropped
    restore_output = output.install()
    stack = LocalStack(app=TRANSLATE_JOBS, port=free_port(), emulator_port=free_port()).start()
    translate = boto3.client("translate", endpoint_url=stack.api_url, region_name=REGION,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
    undo = {patch.name: patch.install() for patch in MEASURED}

    def measure() -> tuple[float, float]:
        stop = statistics.median(measure_in_process(stack, 60)["Stop in-process"])
        return stop, measure_throughput(stack, translate, documents)["docs_per_cpu_second"]

    try:
        measure()  # the functions' cold starts and the first job, measured for none
        print(f"{'without':<40} {'Stop':>6} {'documents/CPU-s':>16}", file=table)
        for variant in [[patch] for patch in MEASURED] + [MEASURED]:
            with_it, without = [], []
            for _ in range(rounds):
                with_it.append(measure())
                for patch in variant:
                    undo.pop(patch.name)()
                without.append(measure())
                for patch in variant:
                    undo[patch.name] = patch.install()
            ratios = [statistics.median(b[i] for b in without) / statistics.median(a[i] for a in with_it) for i in (0, 1)]
            label = variant[0].name if len(variant) == 1 else "all of them"
            print(f"{label:<40} {ratios[0]:>6.2f} {ratios[1]:>16.2f}", file=table, flush=True)
    finally:
        for made in undo.values():
            made()
        stack.stop()
        restore_output()
        sys.stdout = table


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
