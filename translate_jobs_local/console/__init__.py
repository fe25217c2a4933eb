"""The browser console `make run` serves (docs/console.md): a jobs list, a job page with a Stop button,
and a Start form, over the same API every client calls, as a tenant (translate_jobs_local.console.server)."""

import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from translate_jobs_local.console.server import JobEvents, Tenant, create_app
from translate_jobs_local.job_events import JobEventFeed, Repeating

EVENTS_POLL_SECONDS = 0.2  # between receives, each of which waits up to a second for an event


class ConsolePortInUseError(RuntimeError):
    pass


@dataclass
class RunningConsole:
    url: str
    _server: Any
    _receiving: Repeating

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._receiving.stop()


def tenant_account(access_key: str, default_account: str) -> str:
    """The account the API's authorizer gives these credentials (local_stack.authorizer)."""
    from local_stack.authorizer import account_for, emulator_credentials

    issued = emulator_credentials(access_key)
    return issued.account_id if issued else account_for(access_key, default_account)


def start_console(*, api_url: str, emulator_url: str, bus: str, host: str, port: int, region: str, access_key: str,
                  secret_key: str, default_account: str, defaults: dict[str, str] | None = None) -> RunningConsole:
    """Serve the console at http://host:port/, acting as the tenant whose keys these are. ConsolePortInUseError
    if the port is taken."""
    from werkzeug.serving import make_server, select_address_family

    tenant = Tenant(api_url, emulator_url, region, tenant_account(access_key, default_account), access_key, secret_key,
                    dict(defaults or {}))
    wildcard = host in ("0.0.0.0", "::", "")  # reached by whatever name the machine has: no Host to check
    origins = None if wildcard else {f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"}
    events = JobEvents()
    try:  # bound here: werkzeug's own bind would exit the process when the port is taken
        listener = socket.create_server((host, port), family=select_address_family(host, port))
    except OSError:
        raise ConsolePortInUseError(
            f"port {host}:{port} is already in use (choose another: make run CONSOLE_PORT=<port>)") from None
    with listener:
        server = make_server(host, port, create_app(tenant, events, origins=origins), threaded=True, fd=listener.fileno())
    try:
        feed = JobEventFeed(tenant.client("sqs"), tenant.client("events"), bus,
                            f"translate-jobs-console-{urlsplit(api_url).port}", account=tenant.account).open()
    except Exception:
        server.server_close()
        raise

    def receive_events() -> None:
        for detail in feed.receive(wait=1):
            events.add(detail)

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="console", daemon=True).start()
    receiving = Repeating("the console's job events", EVENTS_POLL_SECONDS, receive_events, close=feed.close)
    return RunningConsole(f"http://{'127.0.0.1' if wildcard else host}:{port}", server, receiving)
