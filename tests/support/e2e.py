"""The local stack as a subprocess, started as the README starts it (tests/e2e)."""

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.front import free_port  # noqa: F401 - the e2e tests take it from here

ROOT = Path(__file__).resolve().parents[2]
AWS = str(ROOT / ".venv-awscli" / "bin" / "aws")
ROLE = "arn:aws:iam::123456789012:role/TranslateDemoDataAccess"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    port: int
    emulator_port: int
    stdout: Path
    stderr: Path

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def emulator(self) -> str:
        return f"http://127.0.0.1:{self.emulator_port}"

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout.read_text()[-3000:]}\n--- stderr ---\n{self.stderr.read_text()[-3000:]}"


def api_answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True  # GET / is no route: the front answered 404
    except OSError:
        return False
    return True


@contextlib.contextmanager
def running_stack(command: list[str], env: dict[str, str], logs: Path, port: int, emulator_port: int,
                  timeout: float) -> Iterator[RunningStack]:
    """The local stack as a subprocess (its own session, killed whole at the end), once its API answers and its
    banner is printed (after the API starts answering, the console and the job lines are started)."""
    with (logs / "stdout").open("wb") as out, (logs / "stderr").open("wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
    running = RunningStack(process, port, emulator_port, logs / "stdout", logs / "stderr")
    try:
        deadline = time.monotonic() + timeout
        while not (api_answers(running.api) and b"Press Ctrl-C to stop." in running.stdout.read_bytes()):
            assert process.poll() is None, f"the stack exited with {process.returncode}\n{running.output()}"
            assert time.monotonic() < deadline, f"the API did not answer in time\n{running.output()}"
            time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
