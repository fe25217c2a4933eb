"""Every command block of README.md and docs/*.md, run as a reader runs it, so none can rot.

Each page is read top to bottom (tests/support/docs.py says what its markers mean): ``make run`` blocks
start the real service as a subprocess on free ports, keeping its state in a folder of the test's own (the
page's 127.0.0.1:3000, :5000 and :3001 become those ports, and its /tmp/ the test's temporary folder;
nothing else changes); the blocks after it run in one bash shell, a reader's second terminal, against it;
an output block is compared with what its command printed; a block that needs an AWS account is checked
as far as it can be here (``make -n``, ``sam ... --help``, ``aws ... help``, pytest's ``--collect-only``).
A failing command (``set -e -o pipefail``) fails the test, with its output. The README's walkthrough runs
twice, the second time after a restart on the state the first left.
"""

import contextlib
import os
import queue
import re
import shlex
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import boto3
import pytest

from tests.support.docs import ROOT, WAITS, Block, blocks, pages, unmatched_output
from tests.support.e2e import free_port

pytestmark = pytest.mark.e2e

# The ports the pages name, and the option that sets each (make run's variables).
DEFAULT_PORTS = {"PORT": 3000, "EMULATOR_PORT": 5000, "CONSOLE_PORT": 3001}
BANNER_END = "Press Ctrl-C to stop."
BLOCK_SECONDS = 600  # a block's deadline (the README's upload of 5,000 documents on a loaded machine); only a hang reaches it
TERMINAL = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}


def reader_environment(tmp: Path, state: Path) -> dict[str, str]:
    """A newcomer's shell: no AWS or emulator settings, not inside `make test`'s make; temporary files in tmp,
    and make run's state (LOCAL_STATE_DIR, default .local-state) in a folder of the test's, never the
    checkout's own."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "MOTO_")) and key not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", *DEFAULT_PORTS)}
    return {**env, "TMPDIR": str(tmp), "AWS_PAGER": "", "LOCAL_STATE_DIR": str(state)}


@dataclass
class Ports:
    """The page's ports (3000, 5000, 3001, and any a block chooses) -> free ones; its /tmp/ -> the test's."""

    tmp: Path
    chosen: dict[int, int] = field(default_factory=dict)

    def free(self, port: int) -> int:
        if port not in self.chosen:
            self.chosen[port] = free_port()
        return self.chosen[port]

    def localize(self, text: str) -> str:
        """Every port the text names (127.0.0.1:N, localhost:N, PORT=N, functions-N.log) -> its free one."""
        text = re.sub(r"(127\.0\.0\.1:|localhost:|functions-|PORT=)(\d{4,5})\b",
                      lambda found: f"{found[1]}{self.free(int(found[2]))}", text)
        return self.paths(text)

    def paths(self, text: str) -> str:
        return re.sub(r"(?<![\w.$])/tmp/", f"{self.tmp}/", text)

    def environment(self) -> dict[str, str]:
        """make's default ports (make invoke's EMULATOR_PORT, ...) as the page's free ones, for its shells."""
        return {variable: str(self.free(port)) for variable, port in DEFAULT_PORTS.items()}


class Shell:
    """One bash, fed block after block (variables carry over); a block's stdout up to a sentinel line."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.stderr_path = logs / f"shell-{uuid.uuid4().hex[:8]}.stderr"
        self.stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.stderr, text=True, start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        self.run("set -e -o pipefail", "setup")

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, script: str, where: str) -> str:
        sentinel = f"__block_done_{uuid.uuid4().hex}__"
        assert self.process.stdin is not None
        self.process.stdin.write(f"{script}\nprintf '\\n%s\\n' {sentinel}\n")
        self.process.stdin.flush()
        printed: list[str] = []
        deadline = time.monotonic() + BLOCK_SECONDS
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{where}: still running after {BLOCK_SECONDS} s\n{self.report(printed)}") from None
            if line is None:
                self.process.wait()
                raise AssertionError(f"{where}: a command failed (exit {self.process.returncode})\n{self.report(printed)}")
            if line.strip() == sentinel:
                return "".join(printed)
            printed.append(line)

    def value(self, name: str) -> str:
        return self.run(f'printf "%s" "${name}"', f"${name}").strip()

    def report(self, printed: list[str]) -> str:
        self.stderr.flush()
        return f"--- stdout ---\n{''.join(printed)[-4000:]}\n--- stderr ---\n{self.stderr_path.read_text()[-4000:]}"

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.stderr.close()


@dataclass
class Service:
    """A `make run` (or `python -m translate_jobs_local run`) of a page, as a subprocess of its own session."""

    process: subprocess.Popen[bytes]
    output: Path
    api: str
    emulator: str

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the foreground process group (make and the server); every process must end cleanly."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        deadline = time.monotonic() + 90
        while group_alive(self.process.pid):
            self.process.poll()  # reap make, so that only the server keeps the group alive
            if time.monotonic() > deadline:
                kill_group(self.process)
                raise AssertionError(f"the service did not stop on Ctrl-C\n{self.text()[-3000:]}")
            time.sleep(0.2)  # polling for the processes' end, with a deadline
        self.process.wait()
        assert "Stopped." in self.text() and "Traceback" not in self.text(), self.text()[-3000:]


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def kill_group(process: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def service_command(text: str, ports: Ports) -> tuple[dict[str, str], list[str], dict[str, int]]:
    """The block's command, on the page's free ports: its leading VAR=value words (environment), argv, and
    the ports it listens on (PORT, EMULATOR_PORT, CONSOLE_PORT)."""
    words = [ports.paths(word) for word in shlex.split(text, comments=True)]
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = ports.localize(value)
    if words[:2] == ["make", "run"]:
        given = {word.partition("=")[0]: word for word in words[2:] if "=" in word}
        listening = {}
        for variable, port in DEFAULT_PORTS.items():
            chosen = int(given[variable].partition("=")[2]) if variable in given else port
            listening[variable] = ports.free(chosen)
            given[variable] = f"{variable}={listening[variable]}"
        return env, ["make", "run", *[w for w in words[2:] if "=" not in w], *given.values()], listening
    assert words[0] in ("python", ".venv/bin/python") and words[1:4] == ["-m", "translate_jobs_local", "run"], \
        f"a service block is make run or python -m translate_jobs_local run, not {text!r}"
    options = {"--port": "PORT", "--emulator-port": "EMULATOR_PORT", "--console-port": "CONSOLE_PORT"}
    argv = [".venv/bin/python", *words[1:]]
    listening = {}
    for option, variable in options.items():
        if option in argv:
            index = argv.index(option) + 1
            listening[variable] = ports.free(int(argv[index]))
            argv[index] = str(listening[variable])
        else:
            listening[variable] = ports.free(DEFAULT_PORTS[variable])
            argv += [option, str(listening[variable])]
    return env, argv, listening


def start_service(block: Block, ports: Ports, env: dict[str, str], logs: Path) -> Service:
    extra, argv, listening = service_command(block.text, ports)
    output = logs / f"service-{block.line}.out"
    with output.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env={**env, **extra}, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    service = Service(process, output, f"http://127.0.0.1:{listening['PORT']}", f"http://127.0.0.1:{listening['EMULATOR_PORT']}")
    deadline = time.monotonic() + 300  # the first make run installs the virtualenvs
    while BANNER_END not in service.text():
        if process.poll() is not None or time.monotonic() > deadline:
            kill_group(process)
            raise AssertionError(f"{block.where}: no banner (exit {process.poll()})\n{service.text()[-3000:]}")
        time.sleep(0.2)  # polling for the banner, with a deadline
    banner = service.text()
    assert f":{listening['PORT']}" in banner and f":{listening['EMULATOR_PORT']}" in banner, banner  # on 127.0.0.1 or HOST
    return service


def run_until_interrupted(block: Block, ports: Ports, env: dict[str, str], logs: Path, service: Service | None) -> None:
    """`tail -f .run/functions-3000.log` and the like: while the service does something (a request that its
    function logs, if a service runs), it must print, keep running, and stop on Ctrl-C."""
    output = logs / f"follow-{block.line}.out"
    with output.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", ports.localize(block.text)], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    if service:
        with contextlib.suppress(Exception):  # a refused Describe: the API function logs it
            translate_client(service).describe_text_translation_job(JobId="0" * 32)
    deadline = time.monotonic() + 60
    while not output.read_text(errors="replace").strip():
        assert process.poll() is None, f"{block.where}: exited {process.returncode}\n{output.read_text()}"
        assert time.monotonic() < deadline, f"{block.where}: printed nothing"
        time.sleep(0.2)  # polling for its first line, with a deadline
    assert process.poll() is None, f"{block.where}: exited {process.returncode}"
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        kill_group(process)


def refused(block: Block, ports: Ports, shell: Shell) -> str:
    """A command the page shows being refused, in the page's shell (its variables): it must exit non-zero;
    what it printed, stdout and stderr."""
    printed = shell.run(f"refused=0; ( {ports.localize(block.text)}\n) 2>&1 || refused=$?; echo \"exit $refused\"",
                        block.where)
    output, _, status = printed.rstrip("\n").rpartition("\n")
    assert status != "exit 0", f"{block.where}: was not refused\n{printed[-3000:]}"
    return output


def dry_run(block: Block, env: dict[str, str]) -> None:
    """A block that cannot run here, checked as far as it can be: each command exists and its options parse."""
    for command in commands(block.text):
        words = shlex.split(command)
        if words[0] == "make":
            planned = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            assert planned.returncode == 0, f"{block.where}: make -n {' '.join(words[1:])}\n{planned.stderr}"
            for line in planned.stdout.splitlines():
                if "bin/sam " in line:
                    check_sam(block, line[line.index(".venv-sam/bin/sam"):], env)
        elif "pytest" in words:
            collected = subprocess.run([*words, "--collect-only", "-q"], cwd=ROOT, env=env, capture_output=True, text=True,
                                       timeout=300)
            assert collected.returncode == 0, f"{block.where}: {command} --collect-only\n{collected.stdout[-3000:]}"
        elif words[0] == "sam" or words[0].endswith("bin/sam"):
            check_sam(block, command, env)
        elif words[0] == "aws" or words[0].endswith("bin/aws"):
            check_aws(block, words, env)
        else:
            raise AssertionError(f"{block.where}: no dry run is known for {command!r}; run it, or teach {__file__}")


def check_sam(block: Block, command: str, env: dict[str, str]) -> None:
    """`sam <command> --help` lists every option the block gives, and --config-env names a samconfig.toml environment."""
    words = shlex.split(command)
    subcommand = [word for word in words[1:] if not word.startswith("-")][:1]
    shown = subprocess.run([str(ROOT / ".venv-sam/bin/sam"), *subcommand, "--help"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={**env, "SAM_CLI_TELEMETRY": "0"})
    assert shown.returncode == 0, f"{block.where}: sam {subcommand} --help\n{shown.stderr}"
    for option in (word for word in words if word.startswith("--")):
        assert option in shown.stdout, f"{block.where}: sam {subcommand[0]} has no option {option}"
    if "--config-env" in words:
        environment = words[words.index("--config-env") + 1]
        assert f"[{environment}." in (ROOT / "samconfig.toml").read_text(), f"{block.where}: no {environment} in samconfig.toml"


def check_aws(block: Block, words: list[str], env: dict[str, str]) -> None:
    """`aws <service> <command> help` (offline) documents every option the block gives."""
    service_and_command = [word for word in words[1:] if not word.startswith("-")][:2]
    shown = subprocess.run([str(ROOT / ".venv-awscli/bin/aws"), *service_and_command, "help"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, env={**env, "PAGER": "cat", "MANPAGER": "cat"})
    assert shown.returncode == 0, f"{block.where}: aws {' '.join(service_and_command)} help\n{shown.stderr}"
    text = re.sub(r".\x08", "", shown.stdout)  # the manual page's overstruck bold
    for option in (word.partition("=")[0] for word in words if word.startswith("--")):
        assert option in text, f"{block.where}: aws {' '.join(service_and_command)} has no option {option}"


def commands(text: str) -> list[str]:
    """A block's commands: continuation lines joined, comments and blank lines left out."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in (shlex.join(shlex.split(line, comments=True)) for line in joined.splitlines()) if line]


def translate_client(service: Service) -> Any:
    return boto3.client("translate", endpoint_url=service.api, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def wait_for(name: str, shell: Shell, service: Service | None) -> None:
    """What the prose tells the reader to wait for before the block, on the job in $JOB (WAITS)."""
    assert service is not None, f"'after {name}' needs a running service"
    job_id = shell.value("JOB")
    translate = translate_client(service)
    reached: Callable[[dict[str, Any]], bool] = {
        "progress": lambda job: job.get("JobDetails", {}).get("TranslatedDocumentsCount", 0) > 0 or job["JobStatus"] in TERMINAL,
        "ended": lambda job: job["JobStatus"] in TERMINAL,
    }[name]
    deadline = time.monotonic() + BLOCK_SECONDS
    while not reached(job := translate.describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"]):
        assert time.monotonic() < deadline, f"{WAITS[name]}: not after {BLOCK_SECONDS} s ({job['JobStatus']})"
        time.sleep(0.5)  # polling the job's state, with a deadline


@dataclass
class PageRun:
    """What a page left behind, for the checks of a particular page (the README's walkthrough)."""

    shell: Shell | None = None
    service: Service | None = None
    printed: dict[int, str] = field(default_factory=dict)  # a block's line -> what it printed


@contextlib.contextmanager
def page_run(page: Path, logs: Path, state: Path | None = None) -> Iterator[PageRun]:
    """Run a page's blocks; make run's state in ``state`` (default: a new folder in logs)."""
    env = reader_environment(logs, state or logs / "local-state")
    ports, run = Ports(logs), PageRun()
    previous: Block | None = None
    try:
        for block in blocks(page):
            marker = block.marker
            assert marker is not None or not block.is_command, f"{block.where}: no <!-- docs-test: ... --> marker"
            if marker is None or not (block.is_command or marker.kind == "output"):
                previous = block
                continue
            if marker.kind == "output":
                assert previous is not None
                missing = unmatched_output(block.text, run.printed[previous.line])
                assert missing == [], f"{block.where}: shown but not printed: {missing}\nprinted:\n{run.printed[previous.line]}"
            elif marker.kind == "service":
                if run.service:
                    run.service.interrupt()
                run.service = start_service(block, ports, env, logs)
            elif marker.kind == "stack":
                if run.service is None:
                    run.service = start_service(
                        Block(block.page, block.line, "bash", "make run\n", None, None), ports, env, logs)
                if run.shell is None:
                    run.shell = Shell({**env, **ports.environment()}, logs)
                if marker.wait:
                    wait_for(marker.wait, run.shell, run.service)
                run.printed[block.line] = run.shell.run(script(block, ports, logs), block.where)
            elif marker.kind == "shell":
                if marker.wait == "stopped" and run.service:
                    run.service.interrupt()
                    run.service = None
                shell = Shell({**env, **ports.environment()}, logs)
                try:
                    run.printed[block.line] = shell.run(script(block, ports, logs), block.where)
                finally:
                    shell.close()
            elif marker.kind == "refused":
                if run.shell is None:
                    run.shell = Shell({**env, **ports.environment()}, logs)
                run.printed[block.line] = refused(block, ports, run.shell)
            elif marker.kind == "until-interrupted":
                run_until_interrupted(block, ports, env, logs, run.service)
            else:
                dry_run(block, env)
            previous = block
        yield run
        if run.service:
            run.service.interrupt()
    finally:
        if run.shell:
            run.shell.close()
        if run.service and group_alive(run.service.process.pid):
            kill_group(run.service.process)
        for port in ports.chosen.values():  # the functions' logs of this page's make runs
            for log in (ROOT / ".run").glob(f"functions-{port}.log*"):
                log.unlink()


def script(block: Block, ports: Ports, logs: Path) -> str:
    text = ports.localize(block.text)
    if block.language == "python":
        path = logs / f"block-{block.line}.py"
        path.write_text(text)
        return f".venv/bin/python {shlex.quote(str(path))}"
    return text


def command_pages() -> list[Path]:
    return [page for page in pages() if any(block.is_command for block in blocks(page))]


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("page", command_pages(), ids=lambda page: str(page.relative_to(ROOT)))
def test_every_command_block_runs_as_written(page: Path, tmp_path: Path) -> None:
    with page_run(page, tmp_path) as run:
        if page.name == "README.md":
            first = check_the_walkthrough(run, {})
    if page.name == "README.md":
        # A reader who comes back: make run again on the state the first run left (a restart), and the
        # walkthrough again, as written, beside the first run's jobs, which are still there.
        (tmp_path / "again").mkdir()
        with page_run(page, tmp_path / "again", state=tmp_path / "local-state") as run:
            check_the_walkthrough(run, first)


def check_the_walkthrough(run: PageRun, before: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What the README says of its two jobs, beyond the output it shows: the long one was stopped mid-job.
    ``before``: the jobs of an earlier run, on the same state; they must be there as they were. Returns all."""
    assert run.shell is not None and run.service is not None
    translate = translate_client(run.service)
    jobs = {job["JobId"]: job for job in translate.list_text_translation_jobs()["TextTranslationJobPropertiesList"]}
    assert {job_id: jobs.get(job_id) for job_id in before} == before
    new = sorted((job for job_id, job in jobs.items() if job_id not in before), key=lambda job: job["JobName"])
    assert [job["JobName"] for job in new] == ["few", "many"]
    few, many = new
    assert many["JobStatus"] == "STOPPED"
    assert 0 < many["JobDetails"]["TranslatedDocumentsCount"] < many["JobDetails"]["InputDocumentsCount"] == 5000
    assert few["JobStatus"] == "COMPLETED_WITH_ERROR" and few["JobId"] == run.shell.value("JOB")
    return jobs
