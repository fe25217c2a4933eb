"""`make run`'s options that decide where it listens and where it keeps its state (translate_jobs_local.__main__, Makefile)."""

import os
import subprocess
from pathlib import Path

import pytest

from local_stack.persistence import StateError
from local_stack.stack import PortInUseError
from translate_jobs_local.__main__ import check_host, what_to_do

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_flag(host):
    check_host(host, allow_network=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])
def test_an_address_other_machines_reach_needs_the_flag_and_says_why(host):
    with pytest.raises(ValueError, match="no authentication") as refused:
        check_host(host, allow_network=False)
    assert "ALLOW_NETWORK=1" in str(refused.value)
    check_host(host, allow_network=True)


def dry_run(*arguments: str, **environment: str) -> str:
    env = {key: value for key, value in os.environ.items()
           if key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "HOST", "LOCAL_STATE_DIR", "FRESH")}
    result = subprocess.run(["make", "-n", "--always-make", "run", *arguments], cwd=ROOT, env={**env, **environment},
                            capture_output=True, text=True, check=True)
    return result.stdout.splitlines()[-2] + result.stdout.splitlines()[-1]


@pytest.mark.long
def test_host_in_the_environment_is_ignored_and_on_the_command_line_is_used():
    # zsh puts the machine's name in $HOST: make run still listens on loopback
    assert "--host 127.0.0.1" in dry_run(HOST="my-laptop.example")
    line = dry_run("HOST=0.0.0.0", "ALLOW_NETWORK=1")
    assert "--host 0.0.0.0" in line and line.rstrip().endswith("--allow-network")
    assert "--allow-network" not in dry_run("HOST=0.0.0.0")


@pytest.mark.long
def test_the_state_folder_and_fresh_reach_the_stack():
    assert 'LOCAL_STATE_DIR=".local-state" FRESH=""' in dry_run()
    assert 'LOCAL_STATE_DIR="/tmp/elsewhere" FRESH="1"' in dry_run("LOCAL_STATE_DIR=/tmp/elsewhere", "FRESH=1")


@pytest.mark.parametrize(("error", "says", "to_do"), [
    (PortInUseError("API", "127.0.0.1", 3000), "API port 127.0.0.1:3000 is already in use",
     "make run PORT=<port> (python -m translate_jobs_local run --port <port>)"),
    (PortInUseError("emulator", "127.0.0.1", 5000), "emulator port 127.0.0.1:5000 is already in use",
     "make run EMULATOR_PORT=<port> (python -m translate_jobs_local run --emulator-port <port>)"),
    (StateError("error: .local-state is in use by another local stack", in_use=True), "in use by another",
     "make run LOCAL_STATE_DIR=<folder>"),
    (StateError("error: cannot read .local-state/snapshot.pickle"), "cannot read", "`make run FRESH=1` (or `make reset`)"),
])
def test_the_emulators_errors_come_with_what_a_make_run_user_does(error, says, to_do):
    # local_stack says what is wrong; `make run` adds what to do about it, in its own commands
    assert says in str(error) and "make run" not in str(error)
    assert what_to_do(error).startswith(str(error)) and to_do in what_to_do(error)
