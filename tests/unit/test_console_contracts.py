"""What the terminal and the console know of the service without importing it (local_stack does not import the
library, nor does the page): each copy agrees with the service's own."""

import re

from translate_jobs.domain.content_types import SUPPORTED_CONTENT_TYPES
from translate_jobs.domain.lifecycle import TERMINAL, JobStatus
from translate_jobs.events import state_changes
from translate_jobs.workflow.steps import JobStopRequestedError
from translate_jobs_local import job_events, terminal
from translate_jobs_local.console.server import STATIC

CONSOLE_JS = (STATIC / "console.js").read_text()


def test_the_job_event_feed_matches_what_the_events_function_publishes() -> None:
    assert (job_events.SOURCE, job_events.DETAIL_TYPE) == (state_changes.SOURCE, state_changes.DETAIL_TYPE)


def test_the_terminal_knows_the_service_s_ended_statuses_and_its_stop_signal() -> None:
    assert {str(status) for status in TERMINAL} == terminal.TERMINAL_STATUSES
    assert JobStopRequestedError.__name__ == terminal.STOP_SIGNAL_ERROR


def test_the_start_form_offers_exactly_the_content_types_start_accepts() -> None:
    block = CONSOLE_JS.split("const CONTENT_TYPES = [", 1)[1].split("];", 1)[0]
    assert tuple(re.findall(r'\["([^"]+)"', block)) == SUPPORTED_CONTENT_TYPES


def test_the_page_knows_every_job_status_and_which_are_ended() -> None:
    statuses = re.search(r"const STATUSES = \[([^\]]*)\]", CONSOLE_JS)
    ended = re.search(r"const TERMINAL = new Set\(\[([^\]]*)\]\)", CONSOLE_JS)
    assert statuses and ended
    assert re.findall(r'"(\w+)"', statuses.group(1)) == [str(status) for status in JobStatus]
    assert set(re.findall(r'"(\w+)"', ended.group(1))) == {str(status) for status in TERMINAL}
