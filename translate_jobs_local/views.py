"""What a person watches `make run` through: the terminal's job lines and progress (translate_jobs_local.terminal),
and the console in the browser (translate_jobs_local.console). Both read jobs as a client would: the job event
bus and the API."""

import logging
import os
from dataclasses import dataclass

from local_stack.stack import DEFAULT_ACCOUNT, LocalStack
from translate_jobs_local.console import ConsolePortInUseError, RunningConsole, start_console
from translate_jobs_local.job_events import Repeating, job_event_bus
from translate_jobs_local.terminal import Terminal, watch_jobs

LOG = logging.getLogger(__name__)


@dataclass
class Views:
    console_line: str  # for the banner
    watcher: Repeating | None
    console: RunningConsole | None

    def stop(self) -> None:
        if self.watcher:
            self.watcher.stop()
        if self.console:
            self.console.stop()


def start_views(local: LocalStack, out: Terminal, console_port: int, start_defaults: dict[str, str] | None = None) -> Views:
    """The job lines on ``out`` and the console on ``console_port``, for a started stack. The console acts
    as the tenant whose keys `make run` was given (AWS_ACCESS_KEY_ID, else the demo account's); its Start form
    is filled with ``start_defaults`` (input, output, role: the application's demo resources)."""
    assert local.stack is not None
    bus = job_event_bus(local.stack)
    try:
        watcher: Repeating | None = watch_jobs(out.screen, api_url=local.api_url, bus=bus, region=local.region,
                                                default_account=DEFAULT_ACCOUNT)
    except Exception as error:  # noqa: BLE001 - the stack serves without its job lines; say why
        LOG.warning("job lines will not be shown: %s", error)
        watcher = None
    try:
        console = start_console(
            api_url=local.api_url, emulator_url=local.emulator_url, bus=bus, host=local.host, port=console_port,
            region=local.region, access_key=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"), default_account=DEFAULT_ACCOUNT,
            defaults=start_defaults,
        )
    except ConsolePortInUseError as error:
        return Views(f"console: not started: {error}", watcher, None)
    except Exception as error:  # noqa: BLE001 - the stack serves without its console; say why
        LOG.warning("the console could not start: %s", error)
        return Views(f"console: not started: {error}", watcher, None)
    return Views(f"console (in your browser):        {console.url}", watcher, console)
