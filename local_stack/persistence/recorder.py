"""Every change made to moto's kept backends, recorded in order, and replayed the same way (docs/local-state.md's
Journal). moto's two ways in are wrapped: in-process (``BotocoreStubber``) and over HTTP (its Flask views, each a
``convert_to_flask_response``). A replay draws the identifiers its request drew: moto's ``mock_random`` and the
``os.urandom`` of a few modules draw, on a recording thread, from the record's seed. Times are not replayed.
"""

import functools
import importlib
import io
import json
import logging
import os
import random
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from local_stack.errors import aws_error
from local_stack.faults import buffer_body, error_response
from local_stack.moto_patches import replace, wrap
from local_stack.persistence.backends import _live_backend, kept

log = logging.getLogger(__name__)

# Held while a recorded change is applied and written down (and while a snapshot is taken): one order.
CHANGES = threading.RLock()


class _Thread(threading.local):
    rng: random.Random | None = None  # the recorded request's generator
    recording = False  # inside a recorded change
    replaying = False


_thread = _Thread()

READ_PREFIXES = ("Get", "List", "Describe", "Head", "Query", "Scan", "BatchGet", "TransactGet", "Select", "Lookup",
                 "Search", "Simulate")
# Reads by name that create something: recorded.
CREATING_READS = {"GetSessionToken", "GetFederationToken"}
# botocore's service ids, hyphens dropped, where they differ from moto's service names.
MOTO_SERVICE = {"sfn": "stepfunctions", "eventbridge": "events", "cloudwatch-logs": "logs"}
# Modules of moto that draw identifiers from os.urandom (the rest draw from mock_random).
URANDOM_MODULES = ("moto.s3.models", "moto.sts.utils", "moto.iam.models", "moto.kms.utils", "moto.kms.models")
# Not changes of state: PutEvents delivers (local_stack.eventbridge), it stores nothing.
DELIVERIES = {("events", "PutEvents")}
STOPPING = "The local stack is stopping: its state is saved; try again once it has started again."
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


@contextmanager
def on_thread(name: str, value: Any) -> Iterator[None]:
    """``_thread.<name>`` is ``value`` within, and back to what it was after."""
    previous = getattr(_thread, name)
    setattr(_thread, name, value)
    try:
        yield
    finally:
        setattr(_thread, name, previous)


def account_of(headers: Any) -> str:
    """The account moto serves this request as (moto's own rules: the header, the variable, the key)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    explicit = headers.get("x-moto-account-id") or os.environ.get("MOTO_ACCOUNT_ID")
    if explicit:
        return str(explicit)
    key = _CREDENTIAL.search(str(headers.get("Authorization") or headers.get("authorization") or ""))
    return get_account_id_from(key.group(1)) if key else DEFAULT_ACCOUNT_ID


@dataclass
class Recorder:
    """Records changes to the kept services through ``write`` (called under CHANGES, in order)."""

    write: Callable[[tuple[Any, ...]], None]
    closed: bool = False  # the state was saved for the last time: a change now would be lost, so it is refused

    def wants(self, service: str, operation: str) -> bool:
        if (service, operation) in DELIVERIES:
            return False
        if service == "stepfunctions":
            return operation == "StartExecution"  # its executions are started again after a restart
        # Reads are skipped (a read taken for a change costs little).
        return kept(service) and (operation in CREATING_READS or not operation.startswith(READ_PREFIXES))

    def note(self, *record: Any) -> None:
        with CHANGES:
            self.write(record)

    # -- the two ways into moto --

    def apply(self, service: str, operation: str, headers: Any, call: Callable[[], Any],
              entry: Callable[[], tuple[Any, ...]], refuse: Callable[[], Any]) -> Any:
        """Run ``call`` (moto applying a request) under the lock with a seed of its own; if moto took it, write
        ``entry()`` (its kind, then what follows the seed and the account) before the answer leaves. Once closed:
        ``refuse()``. ``entry`` is only built for a recorded change: every read comes through here too."""
        if not self.wants(service, operation) or _thread.replaying:
            return call()
        with CHANGES, on_thread("recording", True):
            if self.closed:
                return refuse()
            seed, account = new_seed(), account_of(headers)
            with on_thread("rng", random.Random(seed)):
                result = call()
            if result is None or result.status_code >= 300:
                return result
            kind, *rest = entry()
            if service == "stepfunctions":
                self._note_started(rest[-1], result)  # not replayed: started again once the stack is up
            else:
                self.write((kind, seed, account, *rest))
        return result

    def _note_started(self, body: bytes | None, result: Any) -> None:
        """A StartExecution that succeeded: the execution to start again if it is still running at a restart."""
        request = json.loads(body or b"{}")
        answer = result.raw.getvalue() if hasattr(result, "raw") else result.get_data()  # the stubber's, or Flask's
        self.write(("started", json.loads(answer)["executionArn"], request.get("stateMachineArn"),
                    request.get("name"), request.get("input") or "{}"))

    def install(self) -> Callable[[], None]:
        """The hooks; returns their undo."""
        from moto.core.botocore_stubber import BotocoreStubber
        from moto.core.utils import convert_to_flask_response
        from moto.sqs.models import Queue, SQSBackend
        from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

        undo = replace(wrap(BotocoreStubber, "__call__", self._through_stubber),
                       wrap(convert_to_flask_response, "__call__", self._through_flask),
                       wrap(SQSBackend, "send_message", self._sqs_send),
                       wrap(BaseExecutionWorkerCommunication, "terminated", self._execution_ended),
                       wrap(Queue, "wait_for_messages", _long_poll_without_the_lock))
        undo.enter_context(seed_identifiers())
        return undo.close

    def _through_stubber(self, original: Any, stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        if not stubber.enabled:
            return None
        parts = event_name.split(".")
        service, operation = MOTO_SERVICE.get(parts[1], parts[1].replace("-", "")), parts[2]
        buffer_body(request)  # a streamed upload, read once: for the record and for moto

        def entry() -> tuple[Any, ...]:
            body = request.body.encode() if isinstance(request.body, str) else request.body
            return "sdk", request.method, request.url, dict(request.headers.items()), body

        return self.apply(service, operation, request.headers, lambda: original(stubber, event_name, request, **kwargs),
                          entry, lambda: error_response(request, service, "ServiceUnavailable", 503, STOPPING))

    def _through_flask(self, original: Any, view: Any, args: Any = None, **kwargs: Any) -> Any:
        from flask import current_app
        from flask import request as flask_request
        from werkzeug.wsgi import get_input_stream

        service = str(getattr(current_app, "service", ""))
        if service == "moto_api":
            if flask_request.path.endswith("/moto-api/reset") and flask_request.method == "POST" and not _thread.replaying:
                with CHANGES:
                    response = original(view, args, **kwargs)
                    self.write(("reset",))
                return response
            return original(view, args, **kwargs)
        # As moto's own recorder: the body read once (werkzeug's framing: its length, or a chunked one to its
        # end), and put back for the view.
        body = get_input_stream(flask_request.environ).read()
        flask_request.environ["wsgi.input"] = io.BytesIO(body)

        def entry() -> tuple[Any, ...]:
            url = flask_request.environ.get("RAW_URI") or flask_request.full_path
            return "http", service, flask_request.method, url, dict(flask_request.headers.items()), body

        return self.apply(service, _operation(flask_request, body), flask_request.headers,
                          lambda: original(view, args, **kwargs), entry,
                          lambda: _refused(service))

    def _sqs_send(self, original: Any, backend: Any, *args: Any, **kwargs: Any) -> Any:
        """local_stack.eventbridge sends to queues by calling moto's SQS backend, outside any request: recorded
        as calls."""
        if _thread.recording or _thread.replaying:  # part of a recorded request, or a replay
            return original(backend, *args, **kwargs)
        with CHANGES, on_thread("recording", True):
            if self.closed:
                raise RuntimeError(STOPPING)
            seed = new_seed()
            with on_thread("rng", random.Random(seed)):
                result = original(backend, *args, **kwargs)
            self.write(("call", seed, "sqs", backend.account_id, backend.region_name, "send_message", args, kwargs))
        return result

    def _execution_ended(self, original: Any, communication: Any) -> None:
        original(communication)
        self.note("ended", communication.execution.exec_arn)


def _long_poll_without_the_lock(original: Any, queue: Any, timeout: int) -> None:
    """A long-polling ReceiveMessage waits for a send inside moto: the send must not wait for it."""
    if _thread.replaying:
        return  # a replayed receive found its messages then, or none
    saved = CHANGES._release_save() if CHANGES._is_owned() else None  # type: ignore[attr-defined]
    try:
        original(queue, timeout)
    finally:
        if saved is not None:
            CHANGES._acquire_restore(saved)  # type: ignore[attr-defined]


def new_seed() -> str:
    """Unique to its record: two records of one seed would draw the same identifiers."""
    return os.urandom(16).hex()


def seed_identifiers() -> ExitStack:
    """moto's identifiers, drawn from the recorded request's own generator on its thread."""
    from moto.moto_api._internal import mock_random

    shared_random, shared_bits = mock_random.random, mock_random.getrandbits

    def random_() -> float:
        return _thread.rng.random() if _thread.rng else shared_random()

    def getrandbits(bits: int) -> int:
        return _thread.rng.getrandbits(bits) if _thread.rng else shared_bits(bits)

    return replace((mock_random, "random", random_), (mock_random, "getrandbits", getrandbits),
                   *((importlib.import_module(name), "os", _SeededOs()) for name in URANDOM_MODULES))


class _SeededOs:
    """The os module, whose urandom draws from the recorded request's generator on its thread."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def urandom(size: int) -> bytes:
        return _thread.rng.randbytes(size) if _thread.rng else os.urandom(size)


def _operation(request: Any, body: bytes) -> str:
    """The API operation of a request to moto's server: its target, its Action, or (REST) its method."""
    target = request.headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    action = request.args.get("Action")
    if not action and request.mimetype == "application/x-www-form-urlencoded":
        action = (parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
    if action:
        return str(action)
    return "Get" if request.method in ("GET", "HEAD", "OPTIONS") else str(request.method)


def _refused(service: str) -> Any:
    """A change to moto's server once the state is saved for the last time: the service's own 503."""
    from flask import Response

    error = aws_error(service, "ServiceUnavailable", 503, STOPPING)
    return Response(error.get_body(), status=503, headers=error.get_headers())


# -- replay --


def replay(record: tuple[Any, ...]) -> bool:
    """Apply one recorded change to moto's backends again; False if moto refused it this time."""
    kind, seed = record[0], record[1]
    if kind == "http":
        _app(record[3])  # made outside the seed: making it draws numbers the recorded request did not
    with on_thread("rng", random.Random(seed)):
        if kind == "sdk":
            return _replay_sdk(*record[2:])
        if kind == "http":
            return _replay_http(*record[2:])
        if kind == "call":
            service, account, region, name, args, kwargs = record[2:]
            getattr(_live_backend(service, account, region), name)(*args, **kwargs)
            return True
    raise ValueError(f"not a recorded change: {kind!r}")


def _replay_sdk(account: str, method: str, url: str, headers: dict[str, Any], body: bytes | None) -> bool:
    from botocore.awsrequest import AWSPreparedRequest
    from moto.core.models import botocore_stubber

    request = AWSPreparedRequest(method=method, url=url, headers=_as_the_account(headers, account), body=body,
                                 stream_output=False)
    answer = botocore_stubber.process_request(request)
    return answer is not None and int(answer[0]) < 300


def _as_the_account(headers: dict[str, Any], account: str) -> dict[str, Any]:
    """A replayed request is made as its account's root: it was authorized when it was answered, and the role
    session that signed it may be gone (sessions are not kept) or expired since."""
    replayed = {name: value for name, value in headers.items() if name.lower() != "x-amz-security-token"}
    for name, value in replayed.items():
        if name.lower() == "authorization":
            replayed[name] = _CREDENTIAL.sub("Credential=REPLAYEDCHANGE/", str(value))
    return {**replayed, "x-moto-account-id": account}


@functools.cache
def _app(service: str) -> Any:
    from moto.moto_server.werkzeug_app import create_backend_app

    return create_backend_app(service).test_client()  # type: ignore[arg-type]


def _replay_http(account: str, service: str, method: str, url: str, headers: dict[str, str], body: bytes) -> bool:
    parsed = urlparse(url)
    host = headers.get("Host") or headers.get("host") or "localhost"
    framing = {"host", "content-length", "transfer-encoding"}  # the test client frames the body itself
    response = _app(service).open(
        parsed.path or "/", base_url=f"http://{host}", query_string=parsed.query, method=method, data=body,
        headers=_as_the_account({k: v for k, v in headers.items() if k.lower() not in framing}, account),
        environ_overrides={"RAW_URI": url},
    )
    return int(response.status_code) < 300
