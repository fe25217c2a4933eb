"""AWS's bad days, on purpose (``make run FAULTS=...``, the tests' ``faults`` fixture): the spec's items, and what
fails and how a seed replays a run, are in docs/local-stack.md and docs/local-state.md.

Only calls made by a function, inside an invocation (``local_stack.runtime``), fail: AWS's error response, returned
before the request leaves the client (a ``before-send`` handler registered first on every botocore session), which
the SDK parses and retries as the real thing. A lost answer is the request handed to moto (in-process) by that
handler, then a ``ReadTimeoutError`` in place of its answer.
"""

import contextvars
import hashlib
import json
import os
import random
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from local_stack.app import FaultTargets
from local_stack.errors import aws_error
from local_stack.hooks import register
from local_stack.moto_patches import replace, wrap

# Per service: the errors AWS answers with when it is throttling or failing, as (code, HTTP status, message).
AWS_ERRORS: dict[str, list[tuple[str, int, str]]] = {
    "s3": [
        ("SlowDown", 503, "Please reduce your request rate."),
        ("InternalError", 500, "We encountered an internal error. Please try again."),
        ("ServiceUnavailable", 503, "Service is unable to handle request."),
    ],
    "dynamodb": [
        ("ThrottlingException", 400, "Rate of requests exceeds the allowed throughput."),
        ("ProvisionedThroughputExceededException", 400, "The level of configured provisioned throughput was exceeded."),
        ("InternalServerError", 500, "Internal server error"),
    ],
    "sqs": [("InternalError", 500, "We encountered an internal error. Please try again.")],
    "events": [("InternalException", 500, "Internal service error.")],
    "sts": [("Throttling", 400, "Rate exceeded")],
    "states": [("ThrottlingException", 400, "Rate exceeded")],
    "secretsmanager": [("InternalServiceError", 500, "An error occurred on the server side.")],
    "translate": [("ThrottlingException", 400, "Rate exceeded"), ("InternalServerException", 500, "Internal server error")],
}
_CODES = [f"{service}:{code}" for service, errors in AWS_ERRORS.items() for code, _, _ in errors]  # "s3:SlowDown", ...


class FunctionCrashed(BaseException):  # noqa: N818 - what Lambda reports: not an Exception the handler may catch
    """The function's process died (Lambda: Runtime.ExitError)."""


class FunctionTimedOut(BaseException):  # noqa: N818
    """The function ran out of time (Lambda: Sandbox.Timedout)."""


@dataclass
class FaultPlan:
    seed: int = 0
    rates: dict[str, float] = field(default_factory=dict)  # "s3", "s3:SlowDown" or "*" -> fraction
    kill: float = 0.0
    timeout: float = 0.0
    lost: float = 0.0
    die: tuple[str, str] | None = None  # (function, "service.Operation"): the process is killed right after that call
    injected: Counter[str] = field(default_factory=Counter)  # what was injected, for the report
    calls: int = 0  # the functions' AWS calls seen (each an attempt: a retried call counts again)
    attempts: Counter[str] = field(default_factory=Counter, repr=False)  # invocations so far per function and event
    targets: FaultTargets = FaultTargets()  # which functions may time out, or die before an output (the App's)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def parse(cls, spec: str, targets: FaultTargets = FaultTargets()) -> "FaultPlan":  # noqa: B008 - frozen
        plan = cls(targets=targets)
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, _, value = item.partition("=")
            if key == "die":
                function, at, call = value.partition("@")
                if not at or "." not in call:
                    raise ValueError(f"FAULTS: {item!r} is not die=<Function>@<service>.<Operation>")
                plan.die = (function, call)
                continue
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"FAULTS: {item!r} is not <name>=<number>") from None  # "kill" (no "=") too
            if not (0 <= number <= 1 or key == "seed"):
                raise ValueError(f"FAULTS: {item!r}: fractions are between 0 and 1")
            if key == "seed":
                plan.seed = int(number)
            elif key in ("kill", "timeout", "lost"):
                setattr(plan, key, number)
            elif key == "rate":
                plan.rates["*"] = number
            elif key in AWS_ERRORS or key in _CODES:
                plan.rates[key] = number
            else:
                raise ValueError(f"FAULTS: unknown {key!r}; known: rate, kill, timeout, lost, die, seed, a service or one of "
                                 f"{', '.join(_CODES)}")
        return plan

    def count(self, what: str) -> None:
        """One more ``what`` injected ("" counts a call)."""
        with self._lock:
            if what:
                self.injected[what] += 1
            else:
                self.calls += 1

    def error_for(self, chance: random.Random, service: str) -> tuple[str, int, str] | None:
        """The error this call gets, or None: one draw for the service (or every service), one for the code."""
        errors, draw = AWS_ERRORS.get(service, []), chance.random()
        for error in errors:
            if draw < self.rates.get(f"{service}:{error[0]}", 0.0):
                return error
        if errors and draw < max(self.rates.get(service, 0.0), self.rates.get("*", 0.0)):
            return chance.choice(errors)
        return None


@dataclass
class _Invocation:
    """One function invocation's place in the plan: its calls are numbered so decisions replay."""

    function: str
    key: str
    calls: int = 0
    outputs: int = 0


_PLAN: FaultPlan | None = None
_CURRENT: contextvars.ContextVar[_Invocation | None] = contextvars.ContextVar("fault_invocation", default=None)


def activate(plan: FaultPlan | None) -> None:
    """Inject ``plan``'s faults from now on (None: none)."""
    global _PLAN
    _PLAN = plan


def begin_invocation(function: str, event: Any) -> contextvars.Token[_Invocation | None] | None:
    """Called by the local runtime as a function starts; may decide that this invocation times out."""
    plan = _PLAN
    if plan is None:
        return None
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()[:16]
    with plan._lock:
        plan.attempts[f"{function}|{digest}"] += 1
        attempt = plan.attempts[f"{function}|{digest}"]
    invocation = _Invocation(function, f"{plan.seed}|{function}|{digest}|{attempt}")
    if plan.timeout and function in plan.targets.tasks and _chance(invocation.key, "timeout").random() < plan.timeout:
        plan.count(f"{function}:Sandbox.Timedout")
        raise FunctionTimedOut(f"Task timed out (injected fault, {function})")
    return _CURRENT.set(invocation)


def end_invocation(token: contextvars.Token[_Invocation | None] | None) -> None:
    if token is not None:
        _CURRENT.reset(token)


def _chance(key: str, what: str) -> random.Random:
    return random.Random(hashlib.sha256(f"{key}|{what}".encode()).digest())


def _before_send(request: Any, event_name: str = "", **kwargs: Any) -> AWSResponse | None:
    plan, invocation = _PLAN, _CURRENT.get()
    if plan is None or invocation is None:
        return None
    service, operation = (event_name.split(".") + ["", "", ""])[1:3]
    invocation.calls += 1
    plan.count("")
    chance = _chance(invocation.key, f"{invocation.calls}|{service}|{operation}")
    scratch = os.environ.get(plan.targets.scratch_bucket_variable) if plan.targets.scratch_bucket_variable else None
    scratch_write = bool(scratch) and str(scratch) in request.url  # not an output
    if service == "s3" and operation == "PutObject" and not scratch_write and invocation.function == plan.targets.writer:
        if invocation.outputs and plan.kill and chance.random() < plan.kill:
            plan.count(f"{invocation.function}:Runtime.ExitError")
            raise FunctionCrashed(f"Runtime exited with error: signal: killed (injected, after {invocation.outputs} outputs)")
        invocation.outputs += 1
    error = plan.error_for(chance, service)
    if error is None:
        if plan.lost and chance.random() < plan.lost:
            _lose_the_answer(plan, request, event_name, service)  # raises, once applied
        return None
    plan.count(f"{service}:{error[0]}")
    request.injected_fault = True  # see install
    return error_response(request, service, *error)


def _lose_the_answer(plan: FaultPlan, request: Any, event_name: str, service: str) -> None:
    """The request reaches moto and is applied; its answer never comes back (the SDK times out and retries)."""
    from moto.core.models import botocore_stubber

    if not botocore_stubber.enabled:  # not served in-process (an external emulator): nothing to apply it to
        return None
    buffer_body(request)
    if botocore_stubber(event_name, request) is None:
        return None
    plan.count(f"{service}:lost answer")
    raise ReadTimeoutError(endpoint_url=request.url, error="Read timed out (injected: the request was applied)")


def buffer_body(request: Any) -> None:
    """A streamed body (an upload) read into bytes for moto and whoever looks at it; the stream itself goes back
    to its start, since a retry of the call builds its request from that stream again."""
    body = request.body
    if hasattr(body, "read"):
        request.body = body.read()
        if hasattr(body, "seek"):
            body.seek(0)


def _after_call(event_name: str = "", **kwargs: Any) -> None:
    plan, invocation = _PLAN, _CURRENT.get()
    if plan is None or plan.die is None or invocation is None:
        return
    _, service, operation = (event_name.split(".") + ["", "", ""])[:3]
    if (invocation.function, f"{service}.{operation}") == plan.die:
        plan.die = None
        os.write(2, f"FAULTS: die: killed right after {service}.{operation} of {invocation.function}\n".encode())
        os.kill(os.getpid(), signal.SIGKILL)


def error_response(request: Any, service: str, code: str, status: int, message: str) -> AWSResponse:
    from moto.core.botocore_stubber import MockRawResponse  # the body of moto's own in-process answers

    error = aws_error(service, code, status, message)
    headers = {**dict(error.get_headers()), "x-amzn-RequestId": str(uuid.uuid4())}
    return AWSResponse(request.url, status, headers, MockRawResponse(error.get_body()))


def install() -> Callable[[], None]:
    """Answer the planned faults before moto sees a request: our before-send handler first in every botocore
    session (local_stack.hooks), and moto's in-process stubber (a before-send handler too, which botocore also
    runs) told to leave a faulted request alone: it never reached the service, in the tests as in `make run`.
    Idle, it costs a dictionary lookup per request. Returns undo."""
    from moto.core.botocore_stubber import BotocoreStubber

    def call(original: Any, self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        return None if getattr(request, "injected_fault", False) else original(self, event_name, request, **kwargs)

    undo = replace(wrap(BotocoreStubber, "__call__", call))
    undo.callback(register("before-send", _before_send, first=True))
    undo.callback(register("after-call", _after_call))  # FAULTS=die=...: the process killed after that call
    return undo.close
