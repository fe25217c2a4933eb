"""Every stop of `make run` is clean: SIGTERM to its process group (what a process manager, ``timeout``, a CI
runner or a terminal multiplexer sends), Ctrl-C once or twice, 20 times in a row each, each ending every
process of the group within 10 s, at any moment (starting, idle, serving requests), and keeping the state.

`make run` here is the real thing: make, then python, in a process group of their own, as a terminal runs it.
"""

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.e2e import ROOT, api_answers, free_port

pytestmark = pytest.mark.e2e

ROUNDS = 20
EXIT_WITHIN_SECONDS = 10
BUCKET = "translate-jobs-demo-input"


@contextmanager
def make_run(tmp_path: Path, state: Path, round_: int) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`make run` in a process group of its own, on free ports; yields it and its emulator's URL."""
    port, emulator_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    log = (tmp_path / f"round-{round_}.log").open("wb")
    process = subprocess.Popen(["make", "run", f"PORT={port}", f"EMULATOR_PORT={emulator_port}", f"LOCAL_STATE_DIR={state}"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, f"http://127.0.0.1:{emulator_port}"
    finally:
        with_group_gone(process, seconds=0)  # never leave a process behind, whatever failed
        log.close()


def ready(process: subprocess.Popen[bytes], emulator: str, log: Path) -> None:
    """Started: the banner is out (a signal now is a clean stop) and the emulator answers."""
    deadline = time.monotonic() + 120
    while "Press Ctrl-C to stop." not in log.read_text() or not api_answers(f"{emulator}/moto-api/"):
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.1)


def group_alive(process: subprocess.Popen[bytes]) -> bool:
    """Is any process of the group still running? (make, its leader, once ended, is reaped first: a zombie is gone.)"""
    process.poll()
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def with_group_gone(process: subprocess.Popen[bytes], seconds: float) -> float:
    """Wait up to ``seconds`` for every process of the group to end (then kill what is left); how long it took."""
    started = time.monotonic()
    while group_alive(process) and time.monotonic() - started < seconds:
        time.sleep(0.05)
    took = time.monotonic() - started
    if group_alive(process):
        os.killpg(process.pid, signal.SIGKILL)
        took = float("inf")
    process.wait()
    return took


def s3(emulator: str) -> Any:
    return boto3.client("s3", endpoint_url=emulator, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"total_max_attempts": 1}))


def busy(emulator: str, stop: threading.Event) -> None:
    """A client writing as fast as it can while the stack stops (its writes may fail: the stack is going)."""
    client = s3(emulator)
    number = 0
    while not stop.is_set():
        number += 1
        with contextlib.suppress(Exception):  # refused or cut off by the stop: what matters is what was answered
            client.put_object(Bucket=BUCKET, Key=f"busy/{number}", Body=b"x")


def rounds(tmp_path: Path, signals: list[tuple[int, float]]) -> None:
    """ROUNDS starts of `make run`, each stopped by ``signals`` ((signal, seconds after the previous) to the
    group) at a moment that varies: while starting, idle, or under writes. Each round writes one object
    before its stop; every object is there at the end."""
    state = tmp_path / "state"
    took = []
    for round_ in range(ROUNDS):
        with make_run(tmp_path, state, round_) as (process, emulator):
            log = tmp_path / f"round-{round_}.log"
            moment = round_ % 4
            writer, stopping = None, threading.Event()
            if moment == 0:  # while it starts: somewhere between make and the banner
                time.sleep(0.5 + 0.1 * round_)
            else:
                ready(process, emulator, log)
                s3(emulator).put_object(Bucket=BUCKET, Key=f"round/{round_}", Body=str(round_).encode())
                if moment == 3:
                    writer = threading.Thread(target=busy, args=(emulator, stopping))
                    writer.start()
                    time.sleep(0.3)
            for signum, after in signals:
                time.sleep(after)
                os.killpg(process.pid, signum)
            took.append(with_group_gone(process, EXIT_WITHIN_SECONDS))
            stopping.set()
            if writer:
                writer.join()
            assert took[-1] <= EXIT_WITHIN_SECONDS, f"round {round_}: still running after 10 s\n{log.read_text()[-3000:]}"
            assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    # Every answered write of every round is there: each stop kept the state
    with make_run(tmp_path, state, ROUNDS) as (process, emulator):
        ready(process, emulator, tmp_path / f"round-{ROUNDS}.log")
        listed = s3(emulator).list_objects_v2(Bucket=BUCKET, Prefix="round/")
        expected = {f"round/{n}" for n in range(ROUNDS) if n % 4}
        assert {item["Key"] for item in listed.get("Contents", [])} == expected
    print(f"\nexit times (s): {', '.join(f'{t:.1f}' for t in took)}")


def test_sigterm_to_the_process_group_ends_make_run_within_10_seconds_20_times_in_a_row(tmp_path):
    # Twice, as make forwards the group's SIGTERM to its child, which got one already
    rounds(tmp_path, [(signal.SIGTERM, 0.0), (signal.SIGTERM, 0.0)])


def test_ctrl_c_twice_ends_make_run_within_10_seconds_20_times_in_a_row(tmp_path):
    # A Ctrl-C, and another while it shuts down: the second stops it at once
    rounds(tmp_path, [(signal.SIGINT, 0.0), (signal.SIGINT, 0.2)])


def test_sigint_then_sigterm_ends_make_run_within_10_seconds(tmp_path):
    state = tmp_path / "state"
    with make_run(tmp_path, state, 0) as (process, emulator):
        ready(process, emulator, tmp_path / "round-0.log")
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.1)
        os.killpg(process.pid, signal.SIGTERM)
        assert with_group_gone(process, EXIT_WITHIN_SECONDS) <= EXIT_WITHIN_SECONDS
        assert "Stopped. State saved in" in (tmp_path / "round-0.log").read_text()
