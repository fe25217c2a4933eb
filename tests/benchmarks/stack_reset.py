"""What the integration tests' reset costs (tests/support/stack.py SessionStack.reset), in CPU time per reset:
undoing only what a test changed beside undoing every part (as the reset did before it looked first, here with
the same clients, which that reset made anew each time, ~5 ms each), side by side in one run (compare the
ratios: this machine is noisy). Two cases: a test that changed nothing, and one that changed what most do
(a job item, the two workflow buckets with an object each, an object in the work bucket).
    .venv/bin/python tests/benchmarks/stack_reset.py [resets]
"""

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

import boto3  # noqa: E402

from tests.support import stack as stack_support  # noqa: E402


def undo_every_part() -> None:
    """The reset as it was: every part undone, whatever the test changed."""
    session = stack_support.SESSION
    stack = session.get()
    stack.runtime.restore_configurations()
    stack_support.forget_table_connections()
    stack_support._recreate(stack, session._provisioned)
    stack_support._restore_role_policies(session._roles)


def typical_test() -> None:
    s3 = boto3.client("s3", region_name=stack_support.REGION)
    stack_support.put_job("IN_PROGRESS")
    for bucket in ("input-docs", "output-docs"):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"A\n")
    s3.put_object(Bucket=stack_support.SESSION.get().work_bucket, Key="manifests/m.jsonl", Body=b"{}\n")


def cpu_per_reset(reset: Callable[[], object], test: Callable[[], None], resets: int) -> float:
    spent = 0.0
    for _ in range(resets):
        test()
        started = time.process_time()
        reset()
        spent += time.process_time() - started
    return spent / resets


def main() -> None:
    resets = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    stack_support.SESSION.reset()  # provisioned once, as for the tests
    print(f"CPU per reset, mean of {resets} (ms)   undo every part   undo what changed   ratio")
    for name, test in (("a test that changed nothing", lambda: None), ("a typical test", typical_test)):
        before = cpu_per_reset(undo_every_part, test, resets) * 1000
        stack_support.SESSION.reset()
        after = cpu_per_reset(stack_support.SESSION.reset, test, resets) * 1000
        print(f"  {name:<35} {before:>15.1f} {after:>19.1f} {after / before:>7.2f}")
    stack_support.SESSION.suspend()


if __name__ == "__main__":
    main()
