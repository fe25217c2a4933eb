"""`python -m translate_jobs_local invoke` (`make invoke`) against a running `make run`, both subprocesses."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.e2e import ROOT
from tests.support.stack import ACCOUNT, http_event


@pytest.mark.e2e  # a `make run` subprocess
def test_invoke_prints_the_functions_response(tmp_path: Path) -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    server = subprocess.Popen(
        [sys.executable, "-m", "translate_jobs_local", "run", "--port", str(ports[0]), "--emulator-port", str(ports[1])],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/", timeout=1)
            except urllib.error.HTTPError:
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the local stack did not start"
                time.sleep(0.1)
        client_env = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports[1]}"}

        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            path = tmp_path / "event.json"
            path.write_text(json.dumps(event))
            result = subprocess.run(
                [sys.executable, "-m", "translate_jobs_local", "invoke", "ApiFunction", str(path)],
                cwd=ROOT, env=client_env, capture_output=True, text=True, timeout=60,
            )
            assert result.returncode == 0, result.stderr
            assert len(result.stdout.splitlines()) == 1, result.stdout  # the response; the logs go to stderr
            return dict(json.loads(result.stdout))

        start = {
            "JobName": "invoked",
            "InputDataConfig": {"S3Uri": "s3://translate-jobs-demo-input/none/", "ContentType": "text/plain"},
            "OutputDataConfig": {"S3Uri": "s3://translate-jobs-demo-output/out/"},
            "DataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/TranslateDemoDataAccess",
            "SourceLanguageCode": "en",
            "TargetLanguageCodes": ["fr"],
            "ClientToken": "invoke-test",
        }
        started = invoke(http_event("POST", "/", start, target="StartTextTranslationJob"))
        assert started["statusCode"] == 200, started
        job_id = json.loads(started["body"])["JobId"]
        # A second invoke, a second process: it sees the job the first one stored in the running stack.
        described = invoke(http_event("GET", f"/jobs/{job_id}"))
        assert described["statusCode"] == 200, described
        assert json.loads(described["body"])["TextTranslationJobProperties"]["JobName"] == "invoked"
        # `make invoke` finds the stack by EMULATOR_PORT (no AWS_ENDPOINT_URL in the user's shell)
        (tmp_path / "describe.json").write_text(json.dumps(http_event("GET", f"/jobs/{job_id}")))
        made = subprocess.run(["make", "invoke", f"EMULATOR_PORT={ports[1]}", f"EVENT={tmp_path / 'describe.json'}"],
                              cwd=ROOT, env=make_env(env), capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        assert json.loads(made.stdout.splitlines()[-1])["statusCode"] == 200
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0


def make_env(env: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}


@pytest.mark.e2e  # `make invoke` as a subprocess
def test_invoke_with_no_stack_answering_says_so_and_fails(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    made = subprocess.run(["make", "invoke", f"EMULATOR_PORT={port}"], cwd=ROOT, env=make_env(env),
                          capture_output=True, text=True, timeout=120)
    assert made.returncode != 0 and "{" not in made.stdout  # make echoes its command; no response is printed
    assert f"error: no local stack answers at http://127.0.0.1:{port}" in made.stderr
