"""translate_jobs_local.terminal: what `make run` shows a person (job lines, progress, warnings in sentences), and
that the functions' logs go to the file instead."""

import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from translate_jobs_local import terminal
from translate_jobs_local.terminal import FunctionLog, JobBoard, Screen, ScreenHandler, install, printable

JOB = "0123456789abcdef0123456789abcdef"
ACCOUNT = "123456789012"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def screen_of(clock: Clock | None = None, live: bool = False) -> tuple[Screen, io.StringIO]:
    out = io.StringIO()
    return Screen(out, live=live, width=200, clock=clock or Clock(), wall_clock=lambda: "12:00:00"), out


def event(status: str, previous: str | None = None, **detail: Any) -> dict[str, Any]:
    return {"eventId": f"{status}-{previous}", "jobId": JOB, "accountId": ACCOUNT, "jobName": "many", "jobStatus": status,
            "previousJobStatus": previous, "jobDetails": {}, **detail}


def properties(status: str, done: int = 0, total: int = 300, failed: int = 0, **extra: Any) -> dict[str, Any]:
    return {"JobId": JOB, "JobName": "many", "JobStatus": status, "SourceLanguageCode": "en", "TargetLanguageCodes": ["fr", "de"],
            "InputDataConfig": {"S3Uri": "s3://in/docs/", "ContentType": "text/plain"}, "SubmittedTime": 100.0,
            "JobDetails": {"InputDocumentsCount": total, "TranslatedDocumentsCount": done - failed,
                           "DocumentsWithErrorsCount": failed},
            **extra}


class FakeApi:
    """DescribeTextTranslationJob, answering what the test sets (or failing)."""

    def __init__(self) -> None:
        self.job: dict[str, Any] = properties("SUBMITTED", total=0)
        self.calls: list[tuple[str, str]] = []
        self.failing = False

    def __call__(self, account: str, job_id: str) -> dict[str, Any]:
        self.calls.append((account, job_id))
        if self.failing:
            raise ConnectionError("the API did not answer")
        return self.job


def test_a_job_s_life_is_one_line_per_state_change() -> None:
    screen, out = screen_of()
    api = FakeApi()
    board = JobBoard(screen, api, default_account=ACCOUNT)

    board.handle(event("SUBMITTED"))
    board.handle(event("IN_PROGRESS", "SUBMITTED"))
    board.handle(event("STOP_REQUESTED", "IN_PROGRESS",
                       stopRequestedBy={"Channel": "API", "Principal": "arn:aws:iam::123456789012:root"}))
    api.job = properties("STOPPED", done=140, EndTime=102.5)
    board.handle(event("STOPPED", "STOP_REQUESTED"))

    assert out.getvalue().splitlines() == [
        f'12:00:00  job "many" ({JOB}) submitted: en → fr, de, s3://in/docs/ (text/plain)',
        f'12:00:00  job "many" ({JOB}) in progress',
        f'12:00:00  job "many" ({JOB}) stop requested by arn:aws:iam::123456789012:root (API)',
        f'12:00:00  job "many" ({JOB}) stopped: 140 of 300 documents translated in 2.5 s',
    ]
    assert board.jobs == {}  # a finished job is forgotten


@pytest.mark.parametrize(("status", "extra", "expected"), [
    ("COMPLETED", {}, "completed: 300 of 300 documents translated in 4.0 s"),
    ("COMPLETED_WITH_ERROR", {"Message": "2 documents failed"},
     "completed with errors: 298 translated, 2 failed of 300 in 4.0 s: 2 documents failed"),
    ("FAILED", {"Message": "No documents were found under s3://in/docs/."}, "failed in 4.0 s: No documents were found under s3://in/docs/."),
])
def test_an_ended_job_s_line_says_how_it_ended_with_the_service_s_message(status: str, extra: dict[str, Any],
                                                                          expected: str) -> None:
    screen, out = screen_of()
    api = FakeApi()
    api.job = properties(status, done=300, failed=2 if status == "COMPLETED_WITH_ERROR" else 0, EndTime=104.0, **extra)
    JobBoard(screen, api, default_account=ACCOUNT).handle(event(status, "IN_PROGRESS"))
    assert out.getvalue() == f'12:00:00  job "many" ({JOB}) {expected}\n'


def test_a_job_of_another_account_says_so_and_is_described_as_that_account() -> None:
    screen, out = screen_of()
    api = FakeApi()
    JobBoard(screen, api, default_account=ACCOUNT).handle(event("SUBMITTED", accountId="111122223333", jobName=None))
    assert out.getvalue().startswith(f"12:00:00  job {JOB} of account 111122223333 submitted")
    assert api.calls == [("111122223333", JOB)]


def test_an_event_after_the_job_ended_or_repeated_shows_nothing() -> None:
    screen, out = screen_of()
    api = FakeApi()
    board = JobBoard(screen, api, default_account=ACCOUNT)
    api.job = properties("COMPLETED", done=300, EndTime=101.0)
    board.handle(event("COMPLETED", "IN_PROGRESS"))
    board.handle(event("IN_PROGRESS", "SUBMITTED"))  # delivered late
    board.handle(event("COMPLETED", "IN_PROGRESS"))  # delivered twice
    assert len(out.getvalue().splitlines()) == 1


def test_when_describe_fails_the_line_is_drawn_from_the_event_alone() -> None:
    screen, out = screen_of()
    api = FakeApi()
    api.failing = True
    counts = {"TranslatedDocumentsCount": 7, "InputDocumentsCount": 9}
    JobBoard(screen, api, default_account=ACCOUNT).handle(event("STOPPED", "STOP_REQUESTED", jobDetails=counts))
    assert out.getvalue() == f'12:00:00  job "many" ({JOB}) stopped: 7 of 9 documents translated\n'


def running(done_each_second: list[int]) -> tuple[JobBoard, FakeApi, Screen, io.StringIO, Clock]:
    """A board whose job is in progress, ticked once a second as it got this far (what the screen showed then
    left out)."""
    clock = Clock()
    screen, out = screen_of(clock)
    api = FakeApi()
    board = JobBoard(screen, api, default_account=ACCOUNT, clock=clock)
    board.handle(event("IN_PROGRESS", "SUBMITTED"))
    out.truncate(0)
    out.seek(0)
    for second, done in enumerate(done_each_second):
        clock.now = 1000.0 + second
        api.job = properties("IN_PROGRESS", done=done)
        board.tick()
    return board, api, screen, out, clock


def test_piped_a_running_job_gets_a_progress_line_with_its_rate_and_time_left() -> None:
    board, api, _, out, clock = running([0, 10, 20, 30, 40, 50, 60])
    # Only running jobs are described, once a tick; the first progress line once the interval passed
    assert len(api.calls) == 7
    assert out.getvalue() == f'12:00:00  job "many" ({JOB}): 50 of 300 documents, 10 documents/s, about 25 s left\n'
    # The next interval shows where it got to; after one in which nothing moved, no line
    clock.now += terminal.PLAIN_PROGRESS_SECONDS
    board.tick()
    clock.now += terminal.PLAIN_PROGRESS_SECONDS
    board.tick()
    assert out.getvalue().splitlines()[1:] == [
        f'12:00:00  job "many" ({JOB}): 60 of 300 documents, 10 documents/s, about 24 s left']


def test_on_a_terminal_a_running_job_has_a_live_progress_bar() -> None:
    _, _, screen, _, _ = running([0, 70, 140])
    drawn = io.StringIO()
    from rich.console import Console

    Console(file=drawn, width=120).print(screen.progress.get_renderable())
    line = drawn.getvalue()
    assert line.startswith('"many" 01234567')
    assert "140/300" in line and "70 documents/s" in line and "0:00:03" in line  # 160 left at 70 a second, rounded up


def test_however_many_jobs_run_the_board_describes_a_few_a_second_each_in_turn() -> None:
    clock = Clock()
    screen, _ = screen_of(clock)
    api = FakeApi()
    board = JobBoard(screen, api, default_account=ACCOUNT, clock=clock)
    jobs = [f"{n:032x}" for n in range(12)]
    for job in jobs:  # 12 jobs running
        board.handle(event("IN_PROGRESS", "SUBMITTED", jobId=job))
    seen: set[str] = set()
    for _ in range(3):
        clock.now += 1
        api.calls.clear()
        board.tick()
        assert len(api.calls) == terminal.DESCRIBES_PER_SECOND  # never more a second
        seen |= {job for _, job in api.calls}
    assert seen == set(jobs)  # and in three seconds each had its turn
    api.calls.clear()
    board.tick()  # again within the same second (events arriving make rounds quicker): nothing described
    assert api.calls == []


def test_warnings_are_sentences_and_repeats_are_counted_not_shown() -> None:
    clock = Clock()
    screen, out = screen_of(clock)
    for n in range(50):
        clock.now = 1000.0 + n * 0.1  # 50 in 5 s
        screen.warn(("TranslateBatchFunction", "Document failed"), f"TranslateBatchFunction: Document failed ({n})")
    clock.now = 1000.0 + terminal.REPEAT_WINDOW_SECONDS + 1
    screen.warn(("TranslateBatchFunction", "Document failed"), "TranslateBatchFunction: Document failed (last)")
    assert out.getvalue().splitlines() == [
        "12:00:00  warning: TranslateBatchFunction: Document failed (0)",
        "12:00:00  warning: TranslateBatchFunction: Document failed (last) (49 more like this in the last 11 s)",
    ]


def test_what_a_person_sees_cannot_drive_the_terminal() -> None:
    assert printable("doc\x1b[2J\x07.txt") == "doc\\x1b[2J\\x07.txt"
    screen, out = screen_of()
    screen.event('job "[bold]x[/bold] :smile:"')  # no markup, no emoji: names are shown as they are
    assert out.getvalue() == '12:00:00  job "[bold]x[/bold] :smile:"\n'


# -- the functions' logs --


def powertools(level: str, message: str, **extra: Any) -> str:
    return json.dumps({"level": level, "location": "x:1", "message": message, "timestamp": "t", "service": "translate-jobs",
                       "function_name": "translate-jobs-TranslateBatchFunction", "function_request_id": "r", **extra},
                      separators=(",", ":"))


def test_every_line_goes_to_the_file_and_only_warnings_and_errors_reach_the_screen(tmp_path: Path) -> None:
    screen, out = screen_of()
    log = FunctionLog(tmp_path / "functions.log", screen)
    lines = [
        powertools("INFO", "Operation succeeded"),
        json.dumps({"_aws": {"CloudWatchMetrics": []}, "Success": [1.0]}),  # a metrics blob
        powertools("WARNING", "Document failed", document="docs/a\x1b.txt", error="not UTF-8"),
        powertools("ERROR", "Unexpected error", exception="Traceback...\nValueError: boom", exception_name="ValueError"),
        "a line a function printed",
    ]
    log.write("\n".join(lines) + "\n")
    log.close()
    assert (tmp_path / "functions.log").read_text() == "\n".join(lines) + "\n"
    assert out.getvalue().splitlines() == [
        "12:00:00  warning: TranslateBatchFunction: Document failed (document: docs/a\\x1b.txt; error: not UTF-8)",
        "12:00:00  error: TranslateBatchFunction: Unexpected error (ValueError: ValueError: boom)",
    ]


def test_with_logs_on_the_terminal_the_json_lines_are_shown_as_written(tmp_path: Path) -> None:
    screen, out = screen_of()
    log = FunctionLog(tmp_path / "functions.log", screen, echo=True)
    log.write(powertools("INFO", "Operation succeeded") + "\n" + powertools("WARNING", "Document failed") + "\n")
    assert out.getvalue().splitlines() == [powertools("INFO", "Operation succeeded"), powertools("WARNING", "Document failed")]


def test_a_new_run_starts_a_new_log_and_keeps_the_previous_one(tmp_path: Path) -> None:
    screen, _ = screen_of()
    path = tmp_path / "functions.log"
    path.write_text("the previous run\n")
    FunctionLog(path, screen).close()
    assert path.read_text() == ""
    assert (tmp_path / "functions.log.1").read_text() == "the previous run\n"


def record(name: str, level: int, message: str, *args: Any) -> logging.LogRecord:
    return logging.LogRecord(name, level, "x.py", 1, message, args, None)


def test_moto_s_internal_records_never_reach_the_screen_local_stack_s_do() -> None:
    screen, out = screen_of()
    handler = ScreenHandler(screen)
    handler.handle(record("moto.stepfunctions.parser.asl.component.eval_component", logging.ERROR, "%s at '%s'",
                          "Exception=FailureEventException, Error=JobStopRequestedError", "(StateTaskServiceLambda| {...})"))
    handler.handle(record("local_stack.delivery", logging.WARNING, "%s failed: %s", "StopRequestFunction", "throttled"))
    assert out.getvalue() == "12:00:00  warning: StopRequestFunction failed: throttled\n"


def test_a_function_s_unhandled_error_is_one_sentence_and_the_stop_signal_none() -> None:
    screen, out = screen_of()
    handler = ScreenHandler(screen)

    def unhandled(error_type: str, message: str) -> logging.LogRecord:
        payload = {"level": "ERROR", "function_name": "translate-jobs-PlanBatchesFunction", "function_request_id": "r",
                   "errorType": error_type, "errorMessage": message, "stackTrace": ['  File "x.py", line 1\n']}
        return record("local_stack.runtime", logging.ERROR, json.dumps(payload))

    handler.handle(unhandled("JobStopRequestedError", "Job x is STOP_REQUESTED: batch 3 stops the job's remaining batches."))
    handler.handle(unhandled("TransientError", "S3 answered SlowDown"))
    assert out.getvalue() == "12:00:00  error: PlanBatchesFunction failed: TransientError: S3 answered SlowDown\n"


def test_install_sends_stdout_and_logging_to_the_file_and_close_restores_them(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real_terminal = io.StringIO()
    monkeypatch.setattr(sys, "stdout", real_terminal)
    screen = Screen(real_terminal, live=False, wall_clock=lambda: "12:00:00")
    installed = install(tmp_path / "functions.log", screen=screen)
    try:
        print(powertools("INFO", "Operation succeeded"))
        logging.getLogger("moto.some.module").error("Exception=FailureEventException at '(StateTask| {...})'")
        installed.say("Stopped.")
    finally:
        installed.close()
    assert sys.stdout is real_terminal
    assert real_terminal.getvalue() == "Stopped.\n"
    written = (tmp_path / "functions.log").read_text()
    assert powertools("INFO", "Operation succeeded") in written
    assert "ERROR moto.some.module: Exception=FailureEventException" in written
