"""`python -m translate_jobs_local run` (what `make run` runs) in a process of its own, on free ports, for the
benchmarks that call it over HTTP as a user's client does (`make bench`, `make bench-memory`)."""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: the repository's packages
    sys.path.insert(0, str(ROOT))

from tests.support.front import free_port  # noqa: E402

REGION = "us-east-1"
USER_ENVIRONMENT = dict(os.environ)  # make run's: before a benchmark sets defaults of its own


class MakeRun:
    """The running stack, its URLs and clients of the user's (signed with the demo account's key)."""

    def __init__(self, **environment: str) -> None:
        self.api_url, self.emulator_url = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
        # Its state in a folder of its own, as `make run` keeps it (never the checkout's, which a `make run` may hold).
        self.state = tempfile.TemporaryDirectory(prefix="make-run-state-")
        env = {**USER_ENVIRONMENT, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "LOCAL_STATE_DIR": self.state.name, **environment}
        env.pop("AWS_ENDPOINT_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "translate_jobs_local", "run", "--port", self.api_url.rpartition(":")[2],
             "--emulator-port", self.emulator_url.rpartition(":")[2]],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        self.translate = session.client("translate", endpoint_url=self.api_url)
        self.dynamodb = session.client("dynamodb", endpoint_url=self.emulator_url)
        self.s3 = session.client("s3", endpoint_url=self.emulator_url)
        self.sqs = session.client("sqs", endpoint_url=self.emulator_url)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.translate.list_text_translation_jobs(MaxResults=1)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert self.process.poll() is None and time.monotonic() < deadline, "make run did not start"
                time.sleep(0.2)  # polling a condition with a deadline
        self.jobs_table = next(name for name in self.dynamodb.list_tables()["TableNames"] if name.endswith("-JobsTable"))

    def close(self) -> None:
        """As Ctrl-C stops `make run`; a stack that has not exited a minute later is killed, never left running."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            self.state.cleanup()
