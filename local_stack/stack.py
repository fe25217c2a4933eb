"""The local stack: an embedded moto server, the application's template provisioned in it, and the API front."""

import hashlib
import json
import logging
import os
import socket
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local_stack import foreground, patches
from local_stack.app import App
from local_stack.delivery import start_local_delivery
from local_stack.eventbridge import EventRouter
from local_stack.front import ApiFront
from local_stack.moto_patches import DYNAMODB_LOCK
from local_stack.patches import Patched
from local_stack.provision import Stack, plan, provision, provision_rules
from local_stack.retention import start_retention

DEFAULT_ACCOUNT = "123456789012"  # moto's default account
# What the workflow needs: Step Functions executing, Lambda without Docker.
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


class PortInUseError(RuntimeError):
    def __init__(self, what: str, host: str, port: int) -> None:
        super().__init__(f"error: {what} port {host}:{port} is already in use (is another local stack running?)")
        self.what = what  # "API" or "emulator": which to choose another port for


class EmulatorUnavailableError(RuntimeError):
    pass


def provisioned_stack(region: str, app: App, parameters: dict[str, str] | None = None) -> Stack | None:
    """The stack as planned, if a `make run` has already provisioned it in the emulator the SDK points at (its first
    function is there); else None."""
    import boto3
    from botocore.config import Config

    stack = plan(DEFAULT_ACCOUNT, region, parameters, app)
    # One attempt, quickly: a stack that does not answer is reported, not waited for.
    lambda_ = boto3.client("lambda", region_name=region, config=Config(retries={"total_max_attempts": 1}, connect_timeout=5))
    try:
        lambda_.get_function(FunctionName=next(iter(stack.runtime.functions.values())).name)
    except lambda_.exceptions.ResourceNotFoundException:
        return None
    return stack


def ensure_port_free(host: str, port: int, what: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUseError(what, host, port) from None


def local_environment(endpoint: str | None, region: str) -> dict[str, str]:
    """What every AWS SDK in this process needs to talk to the emulator (``endpoint``, or moto in-process: None)."""
    return {
        **({"AWS_ENDPOINT_URL": endpoint} if endpoint else {}),
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "DEFAULT_ACCOUNT_ID": DEFAULT_ACCOUNT,
    }


@dataclass
class LocalStack:
    app: App = field(default_factory=App)  # what it runs (python -m translate_jobs_local: translate_jobs_local.app's)
    host: str = "127.0.0.1"
    port: int = 3000
    emulator_port: int = 5000
    region: str = "us-east-1"
    parameters: dict[str, str] = field(default_factory=dict)
    stack: Stack | None = None
    _server: Any = None
    _front: ApiFront | None = None
    # An emulator that is already running (AWS_ENDPOINT_URL), used instead of the embedded one.
    external_emulator: str | None = None
    notice: str = ""  # what a user must know about this start (printed in the banner)
    _patched: Patched = field(default_factory=Patched)  # every change made to moto and botocore (local_stack.patches)
    _mock: Any = None  # moto in-process (mock_aws): the handlers' calls, served without HTTP
    # Background work (local_stack.delivery, eventbridge, retention), stopped in this order
    _workers: list[Any] = field(default_factory=list)
    # local_stack.persistence.LocalState: the embedded emulator's state, kept in a folder (None: in memory only)
    state: Any = None
    resumed: int = 0  # workflow executions started again after a restart

    @property
    def emulator_url(self) -> str:
        return self.external_emulator or f"http://{self.host}:{self.emulator_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "LocalStack":
        ensure_port_free(self.host, self.port, "API")
        for patch in patches.PROCESS_HOOKS:
            self._patched.make(patch)
        environment = local_environment(self.external_emulator, self.region)  # the user's keys, before moto's own
        if self.app.emulator_url_variable:  # links the functions hand out name the emulator, where callers fetch them
            environment[self.app.emulator_url_variable] = self.emulator_url
        if self.external_emulator:
            self._use_external_emulator(environment)
        else:
            self._start_embedded_emulator(environment)
        assert self.stack is not None
        if self.app.prepare:
            self.app.prepare(self.stack, self.region)
        self._front = ApiFront(self.stack.runtime, self.stack.routes, DEFAULT_ACCOUNT, self.host, self.port, region=self.region,
                               signing_names=self.app.signing_names, authorize=self.app.authorize)
        self._front.start()
        return self

    def _start_embedded_emulator(self, environment: dict[str, str]) -> None:
        from moto import mock_aws
        from moto.server import ThreadedMotoServer

        ensure_port_free(self.host, self.emulator_port, "emulator")
        # One moto, two ways in, the same backends: this process's SDK calls (the handlers, the
        # workflow's interpreter) go to it in-process (mock_aws), without an HTTP round trip (a
        # conditional UpdateItem: ~1.5 ms instead of ~3.7 ms); the AWS CLI and other processes use
        # its server. So AWS_ENDPOINT_URL stays unset here: it would send the handlers over HTTP.
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self._mock = mock_aws(config=MOTO_CONFIG)  # type: ignore[call-overload]  # (a plain dict, not its TypedDict)
        self._mock.start()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the functions' logs are the log
        os.environ.update(environment)
        # moto's Step Functions calls Lambda (and S3, for the Map's ItemReader) in-process while mock_aws is
        # active, else through http://localhost:$MOTO_PORT (5000 unless told): the port it actually serves.
        os.environ["MOTO_PORT"] = str(self.emulator_port)
        patch_moto_before_provisioning(self._patched)
        self.stack = provision(DEFAULT_ACCOUNT, self.region, self.parameters, self.app)
        self.stack.runtime.apply_environment()
        patch_moto_for(self._patched, self.stack, DEFAULT_ACCOUNT, self.region)
        if self.state:  # what the last run kept, over what was just provisioned (moto patched, as when it was recorded)
            self.state.restore(template_id(self.app))
            self._patched.make(patches.PERSISTENCE, self.state, [DYNAMODB_LOCK])  # every change recorded from now on
        # Served once restored: a request answered before would be overwritten by the restore, its answer a lie.
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.emulator_port, verbose=False)
        self._server.start()  # configured: mock_aws's MOTO_CONFIG is the process's, which it serves
        self._workers.append(start_local_delivery(self.stack, self.region, cursors=self.state))
        provision_rules(self.stack, self.region)  # those with Lambda targets: the router delivers to them
        router = EventRouter(self.stack)
        self._workers.append(router)
        self._patched.make(patches.EVENT_ROUTER, router)
        router.start()
        steps = self.app.retention_steps(self.stack) if self.app.retention_steps else ()
        self._workers.insert(0, start_retention(DYNAMODB_LOCK, steps))  # its sweeps stop first
        if self.state:
            self.resumed = self.state.resume_executions()

    def _use_external_emulator(self, environment: dict[str, str]) -> None:
        """Serve the API over an emulator already running, which runs the workflows' Lambda tasks and delivers events in
        its process: another local stack's runs the real handlers; a bare moto_server echoes, delivers nothing (the notice)."""
        url = str(self.external_emulator)
        request = urllib.request.Request(f"{url}/moto-api/config", data=json.dumps(MOTO_CONFIG).encode(), method="POST")
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError as error:
            raise EmulatorUnavailableError(
                f"error: AWS_ENDPOINT_URL={url} does not answer as a moto server ({error}); "
                "start it first, or unset AWS_ENDPOINT_URL to use the embedded emulator."
            ) from None
        os.environ.update(environment)
        self.stack = provisioned_stack(self.region, self.app, self.parameters)
        if self.stack is not None:
            self.notice = f"using the running emulator at {url} and the stack already provisioned in it"
        else:
            self.stack = provision(DEFAULT_ACCOUNT, self.region, self.parameters, self.app)
            self.notice = bare_emulator_notice(url, self.app)
        self.stack.runtime.apply_environment()

    def stop(self) -> None:
        for worker in self._workers:
            worker.stop()
        # Each server notices a shutdown within its poll interval (moto's is 0.5 s): stop both at once.
        with ThreadPoolExecutor() as pool:
            list(pool.map(lambda server: server.stop(), [server for server in (self._server, self._front) if server]))
        if self.state:
            foreground.idle(timeout=5)  # requests already taken are answered (and recorded) first
            self.state.close()  # saved; a change after this is refused, never lost
        if self._server:
            # The embedded emulator keeps its state in this process's moto backends: reset them, so a
            # stopped `make run` leaves nothing behind (as a moto_server process would) and the next provisions afresh.
            from moto.moto_api._internal.models import moto_api_backend

            moto_api_backend.reset()
        self._patched.undo()
        if self._mock:
            self._mock.stop()
            self._mock = None


def bare_emulator_notice(url: str, app: App) -> str:
    """What a user must know of an emulator this stack did not start (a bare moto_server, as far as it can tell)."""
    notice = (f"using the running emulator at {url}, provisioned now. Only the HTTP API's functions run here: the "
              "workflows' Lambda tasks run in the emulator's own process, where this application's handlers are not "
              "loaded, so they only echo their input, and no stream, queue or rule delivers to the functions. To run "
              "them, point AWS_ENDPOINT_URL at an emulator a local stack of this application started, or unset it.")
    return f"{notice} {app.external_emulator_note}" if app.external_emulator_note else notice


def patch_moto_before_provisioning(patched: Patched) -> None:
    """The process's hooks, and moto's Step Functions patched before the template's state machine is parsed
    (else moto refuses or misreads it: patches.BEFORE_PROVISIONING)."""
    for patch in (*patches.PROCESS_HOOKS, *patches.BEFORE_PROVISIONING):
        if patch.name not in patched.names:
            patched.make(patch)


def patch_moto_for(patched: Patched, stack: Stack, account_id: str, region: str) -> None:
    """What every in-process stack runs with once provisioned (`make run`'s and the tests'): the template's
    functions as moto's Lambda, moto's fixes and speed-ups, and IAM enforced (each function calls AWS as its
    own role, authorized by the emulator)."""
    patched.make(patches.FUNCTIONS_AS_LAMBDA, stack.runtime)
    for patch in patches.WITH_THE_STACK:
        patched.make(patch)
    patched.make(patches.IAM, stack.runtime, account_id, region, stack.state_machine_role_arn)


def template_id(app: App) -> str:
    """The application's template as it is now (a kept state saved under another gets the resources it adds)."""
    return hashlib.sha256(app.template.read_bytes()).hexdigest()


def invoke_function(function: str, event: Any, app: App, endpoint: str, region: str = "us-east-1") -> Any:
    """``sam local invoke`` without Docker: run one function on one event against the stack running at ``endpoint``."""
    os.environ.update(local_environment(endpoint, region))
    try:
        stack = provisioned_stack(region, app)
    except Exception as error:  # noqa: BLE001 - whatever stops the emulator from answering, the user's fix is the same
        raise EmulatorUnavailableError(f"error: no local stack answers at {endpoint} ({type(error).__name__})") from None
    if stack is None:
        raise EmulatorUnavailableError(f"error: the emulator at {endpoint} has no {app.stack_name} stack")
    os.environ.update(stack.runtime.find(function).environment)
    return stack.runtime.invoke(function, event)
