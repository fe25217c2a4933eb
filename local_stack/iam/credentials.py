"""Each function calls AWS with its own role's session, as on Lambda.

Handlers run in threads of one process and share boto3/PynamoDB clients made once per "cold
start", so credentials cannot be chosen per client: ``acting_as`` sets the invoking function's
session in a context variable (FunctionRuntime.invoke does it for every invocation, whichever
thread it runs on), and botocore's ``get_frozen_credentials``, which signs every request, returns
that session for any credentials not given explicitly. A client made with explicit keys (the job
role's S3 client) keeps its own, as it would on Lambda.
"""

import contextlib
import contextvars
import datetime
import json
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from botocore.credentials import Credentials, ReadOnlyCredentials, RefreshableCredentials

from local_stack.iam.policy import Decision, Principal, Request, evaluate
from local_stack.moto_patches import replace

LAMBDA_SERVICE = "lambda.amazonaws.com"
STATES_SERVICE = "states.amazonaws.com"
SESSION_SECONDS = 12 * 3600

_current: contextvars.ContextVar[ReadOnlyCredentials | None] = contextvars.ContextVar("function_credentials", default=None)


@contextlib.contextmanager
def acting_as(credentials: ReadOnlyCredentials | None) -> Iterator[None]:
    token = _current.set(credentials)
    try:
        yield
    finally:
        _current.reset(token)


def install_function_credentials() -> Callable[[], None]:
    """Patch botocore so that non-explicit credentials become the invoking function's. Returns undo."""
    def patch(original: Any) -> Any:
        def get_frozen_credentials(self: Credentials) -> ReadOnlyCredentials:
            current = _current.get()
            if current is not None and self.method != "explicit":
                return current
            return original(self)

        return get_frozen_credentials

    return replace(*((cls, "get_frozen_credentials", patch(cls.__dict__["get_frozen_credentials"]))
                     for cls in (Credentials, RefreshableCredentials))).close


def role_sessions(account_id: str, region: str) -> Callable[[str, str, str], ReadOnlyCredentials]:
    """``credentials(role_arn, session_name, service)``: a session of the role, made as the service (Lambda, Step
    Functions) makes it, in moto's STS: the role's trust policy must admit the service. A session is reused until an
    hour before it expires."""
    sessions: dict[str, Any] = {}
    lock = threading.Lock()

    def credentials(role_arn: str, session_name: str, service: str) -> ReadOnlyCredentials:
        from moto.core.utils import utcnow

        with lock:
            session = sessions.get(role_arn)
            if session is None or session.expiration - utcnow() < datetime.timedelta(hours=1):
                session = sessions[role_arn] = _assume(account_id, region, role_arn, session_name, service)
        return ReadOnlyCredentials(session.access_key_id, session.secret_access_key, session.session_token)

    return credentials


def _assume(account_id: str, region: str, role_arn: str, session_name: str, service: str) -> Any:
    from moto.sts.models import sts_backends

    trust = trust_policy(role_arn)
    if trust is None:
        raise RuntimeError(f"The role {role_arn} cannot be assumed by {service}: it does not exist")
    request = Request("sts:AssumeRole", role_arn, principal=Principal(arn=service, service=service))
    if evaluate([trust], request) is not Decision.ALLOW:
        raise RuntimeError(f"The role {role_arn} cannot be assumed by {service}: its trust policy does not admit it")
    return sts_backends[account_id]["aws"].assume_role(
        region_name=region, role_session_name=session_name, role_arn=role_arn, policy=None,  # type: ignore[arg-type]
        duration=SESSION_SECONDS, external_id=None,  # type: ignore[arg-type]
    )


def trust_policy(role_arn: str) -> dict[str, Any] | None:
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""]["aws"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity: AWS denies assuming a role that is not there
        return None
    return parse_policy(role.assume_role_policy_document)


@lru_cache(maxsize=1024)
def parse_policy(document: str) -> dict[str, Any]:
    from urllib.parse import unquote

    text = document if document.lstrip().startswith("{") else unquote(document)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


_execution_role: contextvars.ContextVar[str | None] = contextvars.ContextVar("execution_role", default=None)
# moto's Step Functions modules that start threads: each runs an execution, its program, a Map iteration, a branch
# or a task. Their threads are made to carry the execution's role from the thread that started them (Python's
# threads start with an empty context), so every call of an execution knows its state machine's role. Only that:
# the starter's other context (an invoking function's credentials, its fault plan) stays its own.
_THREADING_MODULES = ("asl.component.program.program", "asl.component.state.exec.state_map.iteration.inline_iteration_component",
                      "asl.component.state.exec.state_parallel.branch_worker",
                      "asl.component.state.exec.state_task.service.state_task_service_callback")
_THREAD_MODULES = ("backend.execution_worker", "asl.component.state.exec.execute_state")


class _ContextThread(threading.Thread):
    """A thread that runs with the execution role of the thread that made it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._role = _execution_role.get()

    def run(self) -> None:
        _execution_role.set(self._role)  # this thread's own (new, empty) context
        super().run()


class _ContextThreading:
    def __getattr__(self, name: str) -> Any:
        return _ContextThread if name == "Thread" else getattr(threading, name)


def _execution_roles() -> list[tuple[Any, str, Any]]:
    """The (owner, attribute, replacement)s by which each execution's calls know its state machine's role
    (``_execution_role``): set in the execution's thread as it begins, carried into every thread it starts.
    ``replace`` raises AttributeError if moto moved one of these names: revisit the module lists then."""
    import importlib

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    logic = ExecutionWorker._execution_logic

    def run_as_its_role(self: Any) -> None:
        _execution_role.set(self._evaluation_details.aws_execution_details.role_arn)
        logic(self)

    return [*((importlib.import_module(f"moto.stepfunctions.parser.{m}"), "threading", _ContextThreading())
              for m in _THREADING_MODULES),
            *((importlib.import_module(f"moto.stepfunctions.parser.{m}"), "Thread", _ContextThread)
              for m in _THREAD_MODULES),
            # Set in the execution's own thread, as it begins (whenever and from wherever it was started:
            # `make run` starts it once the request that started it is answered, local_stack.moto_speed).
            (ExecutionWorker, "_execution_logic", run_as_its_role)]


def install_state_machine_credentials(credentials: Callable[[str | None], ReadOnlyCredentials]) -> Callable[[], None]:
    """Sign the calls moto's Step Functions interpreter makes (Lambda tasks, the Map's ItemReader) as the
    state machine's role, as Step Functions does: ``credentials(role)`` gives the session of the executing state
    machine's role (None where no execution is known). It makes every client in ``boto_client_for`` with
    placeholder keys through its module's ``boto3``; that name is replaced. Returns undo.

    moto makes a client per call (~500 per 5,000-document job, ~0.4 MB each): that churn kept `make run`'s
    memory growing. As Step Functions does, one client per service, region, endpoint, options and session is
    made once and reused (botocore clients are thread-safe), and replaced when the session is."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto3
    clients: dict[tuple[Any, ...], tuple[ReadOnlyCredentials, Any]] = {}
    lock = threading.Lock()

    class StateMachineBoto3:
        def __getattr__(self, name: str) -> Any:
            return getattr(original, name)

        def client(self, *args: Any, **kwargs: Any) -> Any:
            session = credentials(_execution_role.get())
            config = kwargs.get("config")
            options = sorted(config._user_provided_options.items(), key=repr) if config is not None else None
            key = (args, repr(sorted((name, value) for name, value in kwargs.items() if name != "config")), repr(options))
            with lock:
                made = clients.get(key)
                if made is None or made[0] != session:
                    kwargs.update(aws_access_key_id=session.access_key, aws_secret_access_key=session.secret_key,
                                  aws_session_token=session.token)
                    made = clients[key] = (session, original.client(*args, **kwargs))
            return made[1]

    return replace((boto_client, "boto3", StateMachineBoto3()), *_execution_roles()).close
