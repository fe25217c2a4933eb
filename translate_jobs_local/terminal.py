"""`make run`'s terminal, for a person: one line per job state change, a progress line per running job,
warnings and errors as sentences. Everything the functions log goes to a file instead (LOG_FILE).

* ``Screen`` is the terminal (rich): lines above, and on a real terminal a live progress bar per running
  job (documents done of total, rate, time left) below them; piped, a plain progress line every few seconds.
* ``FunctionLog`` receives the process's stdout (the functions' Powertools JSON lines and metric blobs,
  queued by translate_jobs_local.output): every line goes to the log file; a WARNING or ERROR line becomes a
  sentence on the screen (with LOGS=terminal every JSON line is also shown as it is).
* Python's logging (local_stack's, moto's, botocore's) goes to the log file; local_stack's warnings and
  errors also become sentences. moto's own records (e.g. its ``FailureEventException ... at '(StateTask...)'``
  repr of a whole state machine, 5 KB a line) go to the file only.
* ``JobBoard`` draws the jobs: state changes from the job event bus (translate_jobs_local.job_events, as any
  subscriber), counts from DescribeTextTranslationJob over the API, signed as the job's own account, for
  running jobs only, at most DESCRIBES_PER_SECOND a second. It reads no table.
"""

import io
import json
import logging
import logging.handlers
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeRemainingColumn
from rich.text import Text

from local_stack.template import ROOT
from translate_jobs_local.job_events import Repeating
from translate_jobs_local.output import QueuedLines

LOG = logging.getLogger(__name__)
TERMINAL_STATUSES = {"COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED"}
RUNNING_STATUSES = {"IN_PROGRESS", "STOP_REQUESTED"}
# The error a batch raises to end a stopped job's Map (translate_jobs.workflow.steps): the stop working, not a failure.
STOP_SIGNAL_ERROR = "JobStopRequestedError"
LOG_FILE_BYTES = 100 * 1024 * 1024  # then the file is rotated: <file>.1 keeps the previous 100 MB
SENTENCE_CHARACTERS = 400
REPEAT_WINDOW_SECONDS = 10.0  # a warning like one shown less than this long ago is counted, not shown
PLAIN_PROGRESS_SECONDS = 5.0  # piped (no live display): a progress line per running job this often
# The board's cost to the stack, however many jobs run: with more running jobs than this, each is described
# less often (in turn); a state change over the budget is drawn from its event alone.
DESCRIBES_PER_SECOND = 5
# Powertools' own keys: the rest of a log line's keys are what the code added (document, error, ...).
POWERTOOLS_KEYS = {
    "level", "location", "message", "timestamp", "service", "cold_start", "function_name", "function_memory_size",
    "function_arn", "function_request_id", "correlation_id", "xray_trace_id", "sampling_rate", "exception",
    "exception_name", "stack_trace",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (an S3 key may hold an escape sequence) shown as \\xNN."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _short(text: str, limit: int = SENTENCE_CHARACTERS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _function(name: Any) -> str:
    """``translate-jobs-TranslateBatchFunction`` -> ``TranslateBatchFunction``."""
    return str(name or "a function").rsplit("-", 1)[-1]


class _DocumentRate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} documents/s" if task.speed else "", style="progress.data.speed")


class Screen:
    """The terminal a person reads. Thread-safe (rich's console has a lock of its own)."""

    def __init__(self, file: TextIO | None = None, *, live: bool | None = None, width: int | None = None,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], str] | None = None) -> None:
        # No markup, emoji or highlighting: job names and document keys are user input, shown as they are.
        self.console = Console(file=file, width=width, soft_wrap=True, markup=False, emoji=False, highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), _DocumentRate(),
            TimeRemainingColumn(), console=self.console, get_time=clock, redirect_stdout=False, redirect_stderr=False,
        )
        self.live = self.console.is_terminal if live is None else live
        self.wall_clock = wall_clock or (lambda: time.strftime("%H:%M:%S"))
        self._repeats: dict[tuple[str, str], tuple[float, int]] = {}  # warning kind -> (when last shown, since then)
        self._repeats_lock = threading.Lock()  # warnings come from the log writer's and the loggers' threads
        self._clock = clock
        if self.live:
            self.progress.start()

    def say(self, text: str, style: str = "") -> None:
        """A line as it is (the banner, shutting down)."""
        self.console.print(Text(printable(text), style=style))

    def event(self, text: str, style: str = "") -> None:
        """A line of what happened, with the time."""
        self.console.print(Text.assemble((self.wall_clock() + "  ", "dim"), (printable(text), style)))

    def warn(self, kind: tuple[str, str], sentence: str, *, error: bool = False) -> None:
        """A warning or an error in a sentence; one of the same ``kind`` shown less than REPEAT_WINDOW_SECONDS ago
        is only counted, and the count is told with the next one shown (so a thousand failing documents are a few lines)."""
        now = self._clock()
        with self._repeats_lock:
            shown, since = self._repeats.get(kind, (-REPEAT_WINDOW_SECONDS, 0))
            if now - shown < REPEAT_WINDOW_SECONDS:
                self._repeats[kind] = (shown, since + 1)
                return
            self._repeats[kind] = (now, 0)
        more = f" ({since:,} more like this in the last {now - shown:.0f} s)" if since else ""
        label = "error: " if error else "warning: "
        self.event(label + _short(sentence) + more, "bold red" if error else "yellow")

    def raw(self, line: str) -> None:
        """A log line as the function wrote it (LOGS=terminal)."""
        self.console.print(Text(printable(line.rstrip("\n"))))

    def repeated(self) -> int:
        """Warnings counted but not shown yet."""
        with self._repeats_lock:
            return sum(since for _, since in self._repeats.values())

    def close(self) -> None:
        if self.live:
            self.progress.stop()


# -- the functions' logs --


class FunctionLog(io.TextIOBase):
    """Where the process's stdout goes (written by translate_jobs_local.output's one thread): the log file, and the
    screen for what a person must see."""

    def __init__(self, path: Path, screen: Screen, *, echo: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The library's rotation (a chunk of lines is one "record", written as it is).
        self._file = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=1, encoding="utf-8")
        self._file.terminator = ""
        if path.stat().st_size:
            self._file.doRollover()  # this run's log starts empty; the previous run's is <file>.1
        self.path, self.screen, self.echo = path, screen, echo

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        assert self._file.stream is not None
        return self._file.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def write(self, text: str) -> int:
        self._file.emit(logging.makeLogRecord({"msg": text}))
        for line in text.splitlines():
            if self.echo and line.startswith("{"):
                self.screen.raw(line)
            elif '"level":"WARNING"' in line or '"level":"ERROR"' in line or '"level":"CRITICAL"' in line:
                self._sentence(line)
        return len(text)

    def _sentence(self, line: str) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            return
        if self.echo:
            return  # shown as it is already
        function = _function(record.get("function_name"))
        added = [f"{key}: {_short(value, 200)}" for key, value in record.items() if key not in POWERTOOLS_KEYS]
        if record.get("exception_name"):
            last_line = (str(record.get("exception", "")).splitlines() or [""])[-1]
            added.append(f"{record['exception_name']}: {_short(last_line, 200)}")
        details = f" ({'; '.join(added)})" if added else ""
        self.screen.warn((function, str(record.get("message"))), f"{function}: {record.get('message')}{details}",
                         error=record.get("level") != "WARNING")

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()
        super().close()


class ScreenHandler(logging.Handler):
    """local_stack's own warnings and errors (deliveries, EventBridge, a function's unhandled error), as sentences."""

    def __init__(self, screen: Screen) -> None:
        super().__init__(logging.WARNING)
        self.screen = screen

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("local_stack"):
            return  # moto's and the libraries' records: the log file only
        try:
            message = record.getMessage()
            if record.name == "local_stack.runtime" and message.startswith("{"):
                self._function_error(json.loads(message))
                return
            first_line = message.splitlines()[0] if message else ""
            self.screen.warn((record.name, str(record.msg)), first_line, error=record.levelno >= logging.ERROR)
        except Exception:  # noqa: BLE001 - as logging.Handler: never let showing a record break the logger
            self.handleError(record)

    def _function_error(self, payload: dict[str, Any]) -> None:
        """A function raised (Lambda's unhandled error): its type and message; the stack trace is in the file."""
        kind = str(payload.get("errorType"))
        if kind == STOP_SIGNAL_ERROR:
            return  # how a batch ends a stopped job's Map: the job's own lines tell the stop
        function = _function(payload.get("function_name"))
        self.screen.warn((function, kind), f"{function} failed: {kind}: {payload.get('errorMessage')}", error=True)


@dataclass
class Terminal:
    """`make run`'s output, installed: ``screen`` for people, the process's stdout and logging into ``log_file``."""

    screen: Screen
    log_file: Path
    _undo: list[Callable[[], None]] = field(default_factory=list)

    @property
    def shown_log_file(self) -> str:
        """The log file's path as the user would type it here (relative, when under the current folder)."""
        relative = os.path.relpath(self.log_file)
        return relative if not relative.startswith("..") else str(self.log_file)

    def say(self, text: str) -> None:
        self.screen.say(text)

    def say_repeats(self) -> None:
        """How many warnings were counted but not shown (before the last line, at shutdown)."""
        if self.screen.repeated():
            self.screen.say(f"({self.screen.repeated():,} more warnings like those shown: see {self.shown_log_file})", "dim")

    def close(self) -> None:
        """Write out everything logged, restore stdout and logging, end the live display."""
        while self._undo:
            self._undo.pop()()
        self.screen.close()


def default_log_file(port: int) -> Path:
    """One per API port, so two `make run`s on different ports keep apart."""
    return ROOT / ".run" / f"functions-{port}.log"


def install(log_file: Path, *, echo_logs: bool = False, screen: Screen | None = None) -> Terminal:
    """From now on the functions' output goes to ``log_file`` (and a sentence to the screen for each warning
    or error); the screen writes to the terminal that stdout was. Undo with ``close()``."""
    screen = screen or Screen(sys.stdout)
    function_log = FunctionLog(log_file, screen, echo=echo_logs)
    terminal = Terminal(screen, log_file)
    original_stdout, queued = sys.stdout, QueuedLines(function_log)
    sys.stdout = queued  # before the functions' loggers bind to it (they do at their first invocation)

    root = logging.getLogger()
    to_file = logging.StreamHandler(queued)  # in order with the functions' lines, written by the same thread
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    to_screen = ScreenHandler(screen)
    root.addHandler(to_file)
    root.addHandler(to_screen)
    logging.captureWarnings(True)
    original_hook = threading.excepthook

    def thread_died(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread else "a thread"
        LOG.error("%s stopped: %s: %s", name, args.exc_type.__name__, args.exc_value,
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type]

    threading.excepthook = thread_died

    def undo() -> None:
        threading.excepthook = original_hook
        logging.captureWarnings(False)
        root.removeHandler(to_screen)
        root.removeHandler(to_file)
        queued.drain()
        if sys.stdout is queued:
            sys.stdout = original_stdout
        function_log.close()

    terminal._undo.append(undo)
    return terminal


# -- the jobs --


@dataclass
class _Job:
    account: str
    job_id: str
    name: str | None
    status: str
    task: TaskID | None = None
    shown: int = -1  # documents done when its last plain progress line was written

    @property
    def label(self) -> str:
        return f'job "{self.name}" ({self.job_id})' if self.name else f"job {self.job_id}"

    @property
    def short_label(self) -> str:
        return f'"{_short(self.name, 30)}" {self.job_id[:8]}' if self.name else self.job_id[:8]


Describe = Callable[[str, str], dict[str, Any]]  # (account, job id) -> TextTranslationJobProperties


class JobBoard:
    """Job lines and progress on the screen, from job events (``handle``) and Describe (``tick``)."""

    def __init__(self, screen: Screen, describe: Describe, *, default_account: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.screen, self.describe, self.default_account, self.clock = screen, describe, default_account, clock
        self.jobs: dict[tuple[str, str], _Job] = {}  # jobs not yet finished
        self._ended: dict[tuple[str, str], None] = {}  # recently finished: a late or repeated event is ignored
        self._plain_shown = clock()
        self._second, self._described, self._turn = clock(), 0, 0  # the Describe budget's second, spent, whose turn
        self._ticked = clock() - 1

    def handle(self, detail: dict[str, Any]) -> None:
        """One "Translate TextTranslationJob State Change" event's detail."""
        key, status = (str(detail["accountId"]), str(detail["jobId"])), str(detail["jobStatus"])
        if key in self._ended:
            return
        job = self.jobs.setdefault(key, _Job(key[0], key[1], detail.get("jobName"), status))
        job.status = status
        properties = self._properties(job) if status == "SUBMITTED" or status in TERMINAL_STATUSES else None
        text, style = self._line(job, detail, properties)
        self.screen.event(text, style)
        if status in TERMINAL_STATUSES:
            if job.task is not None:
                self.screen.progress.remove_task(job.task)
            del self.jobs[key]
            self._ended[key] = None
            if len(self._ended) > 10_000:
                self._ended.pop(next(iter(self._ended)))

    def tick(self) -> None:
        """Refresh the progress of running jobs, once a second at most: one Describe each, within the budget, in turn."""
        if self.clock() - self._ticked < 1:
            return
        self._ticked = self.clock()
        running = [job for job in self.jobs.values() if job.status in RUNNING_STATUSES]
        first = self._turn % len(running) if running else 0
        self._turn = first + DESCRIBES_PER_SECOND
        for job in running[first:] + running[:first]:
            properties = self._properties(job)
            if not properties or job.status not in RUNNING_STATUSES:
                continue
            details = properties.get("JobDetails", {})
            total = int(details.get("InputDocumentsCount", 0))
            done = int(details.get("TranslatedDocumentsCount", 0)) + int(details.get("DocumentsWithErrorsCount", 0))
            if not total:
                continue  # still listing its documents
            if job.task is None:
                job.task = self.screen.progress.add_task(job.short_label, total=total)
            self.screen.progress.update(job.task, total=total, completed=done)
        if not self.screen.live and self.clock() - self._plain_shown >= PLAIN_PROGRESS_SECONDS:
            self._plain_shown = self.clock()
            self._plain_progress()

    def _plain_progress(self) -> None:
        for job in self.jobs.values():
            if job.task is None:
                continue
            task = next(task for task in self.screen.progress.tasks if task.id == job.task)
            if task.completed == job.shown:
                continue
            job.shown = int(task.completed)
            rate = f", {task.speed:,.0f} documents/s" if task.speed else ""
            left = f", {_about(task.time_remaining)} left" if task.time_remaining and task.speed else ""
            self.screen.event(f"{job.label}: {int(task.completed):,} of {int(task.total or 0):,} documents{rate}{left}")

    def _properties(self, job: _Job) -> dict[str, Any] | None:
        if self.clock() - self._second >= 1:
            self._second, self._described = self.clock(), 0
        if self._described >= DESCRIBES_PER_SECOND:
            return None
        self._described += 1
        try:
            return self.describe(job.account, job.job_id)
        except Exception as error:  # noqa: BLE001 - the line is drawn from the event alone; the next tick retries
            LOG.debug("Describe of %s failed: %s", job.job_id, error)
            return None

    def _line(self, job: _Job, detail: dict[str, Any], properties: dict[str, Any] | None) -> tuple[str, str]:
        label = job.label + ("" if job.account == self.default_account else f" of account {job.account}")
        counts = (properties or {}).get("JobDetails") or detail.get("jobDetails") or {}
        translated, failed = int(counts.get("TranslatedDocumentsCount", 0)), int(counts.get("DocumentsWithErrorsCount", 0))
        total = int(counts.get("InputDocumentsCount", 0))
        message = f": {(properties or {}).get('Message')}" if (properties or {}).get("Message") else ""
        status = job.status
        if status == "SUBMITTED":
            return f"{label} submitted{_what(properties)}", "cyan"
        if status == "IN_PROGRESS":
            return f"{label} in progress", "cyan"
        if status == "STOP_REQUESTED":
            who = detail.get("stopRequestedBy") or {}
            by = f" by {who.get('Principal')} ({who.get('Channel')})" if who else ""
            return f"{label} stop requested{by}", "yellow"
        took = _took(properties)
        if status == "COMPLETED":
            return f"{label} completed: {translated:,} of {total:,} documents translated{took}", "green"
        if status == "COMPLETED_WITH_ERROR":
            return (f"{label} completed with errors: {translated:,} translated, {failed:,} failed of {total:,}{took}{message}",
                    "yellow")
        if status == "STOPPED":
            return f"{label} stopped: {translated:,} of {total:,} documents translated{took}", "yellow"
        if status == "FAILED":
            return f"{label} failed{took}{message}", "bold red"
        return f"{label} {status}", ""


def _what(properties: dict[str, Any] | None) -> str:
    if not properties:
        return ""
    targets = ", ".join(properties.get("TargetLanguageCodes", []))
    source = properties.get("InputDataConfig", {})
    return f": {properties.get('SourceLanguageCode')} → {targets}, {source.get('S3Uri')} ({source.get('ContentType')})"


def _took(properties: dict[str, Any] | None) -> str:
    if not properties or "EndTime" not in properties or "SubmittedTime" not in properties:
        return ""
    seconds = _seconds(properties["EndTime"]) - _seconds(properties["SubmittedTime"])
    return f" in {_duration(seconds)}"


def _seconds(moment: Any) -> float:
    return float(moment.timestamp()) if hasattr(moment, "timestamp") else float(moment)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _about(seconds: float | None) -> str:
    seconds = seconds or 0
    return f"about {round(seconds)} s" if seconds < 90 else f"about {_duration(seconds)}"


# -- running it in `make run` --


def watch_jobs(screen: Screen, *, api_url: str, bus: str, region: str, default_account: str) -> Repeating:
    """The board, fed by a rule of its own on the job event bus (queue ``translate-jobs-terminal-<API port>``) and by
    Describe over the API as each job's account (the local authorizer's convention: an access key id of 12
    digits is that account)."""
    import boto3
    from botocore.config import Config

    from local_stack.authorizer import LOCAL_SECRET_KEY
    from translate_jobs_local.job_events import JobEventFeed

    feed = JobEventFeed(boto3.client("sqs", region_name=region), boto3.client("events", region_name=region),
                        bus, f"translate-jobs-terminal-{urlsplit(api_url).port}").open()
    clients: dict[str, Any] = {}
    config = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 2},
                    user_agent_extra="translate-jobs-terminal")

    def describe(account: str, job_id: str) -> dict[str, Any]:
        if account not in clients:
            clients[account] = boto3.client("translate", endpoint_url=api_url, region_name=region, config=config,
                                            aws_access_key_id=account, aws_secret_access_key=LOCAL_SECRET_KEY)
        return dict(clients[account].describe_text_translation_job(JobId=job_id)["TextTranslationJobProperties"])

    board = JobBoard(screen, describe, default_account=default_account)

    def watch() -> None:  # events as they come (waiting up to a second for one), then progress
        for detail in feed.receive(wait=1):
            board.handle(detail)
        board.tick()

    return Repeating("the terminal's job lines", 0.2, watch, close=feed.close)
