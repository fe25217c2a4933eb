"""Runs the template's functions in this process: their real handlers, their template environment.

Each function has its own execution environment, as on Lambda: its handler's module, loaded when the
function is first invoked, with ``os.environ`` holding the function's own environment while the module
starts (the module reads its settings then and builds its dependencies: functions/*/ are composition
roots). ``update_configuration`` is Lambda's UpdateFunctionConfiguration: the next invocation starts a
new execution environment from the new environment.

moto runs Lambda code only in Docker; without it, its "simple" Lambda backend echoes payloads.
``install_moto_lambda`` replaces that backend's ``invoke`` (a private API: moto is pinned and
tests/integration/test_local_stack.py fails loudly if the signature changes) with one that calls the handler.
"""

import contextlib
import importlib.util
import inspect
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from local_stack import faults, foreground
from local_stack.iam.credentials import acting_as
from local_stack.moto_patches import replace

ERROR_LOG = logging.getLogger("local_stack.runtime")
EXPECTED_INVOKE_PARAMETERS = ["self", "function_name", "qualifier", "body", "headers", "response_headers"]


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str  # module.function
    layers: tuple[Path, ...]  # the folders its layers' modules are in, in the order the function lists them
    environment: dict[str, str]
    timeout: int = 30
    memory: int = 512
    runtime: str = "python3.13"
    role_arn: str = ""
    dead_letter_arn: str | None = None  # DeadLetterConfig: where an asynchronous event goes after its retries
    async_retries: int = 2  # EventInvokeConfig's MaximumRetryAttempts for asynchronous invocations


class LambdaContext:
    """What the Lambda runtime passes as ``context``."""

    def __init__(self, function: LocalFunction) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionError(Exception):
    """The handler raised: carries the payload Lambda would return with X-Amz-Function-Error."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload["errorMessage"])
        self.payload = payload


class FunctionRuntime:
    """Loads each function's handler module once per execution environment and invokes it."""

    def __init__(self) -> None:
        self.functions: dict[str, LocalFunction] = {}
        self._template_environments: dict[str, dict[str, str]] = {}
        self._modules: dict[str, ModuleType] = {}  # by function: its current execution environment
        self._lock = threading.Lock()
        # The credentials each invocation calls AWS with (local_stack.iam.enable): its role's session.
        self.credentials: Callable[[LocalFunction], Any] | None = None

    def register(self, function: LocalFunction) -> None:
        self.functions[function.logical_id] = function
        self._template_environments[function.logical_id] = dict(function.environment)

    def update_configuration(self, name_or_arn: str, **variables: str) -> None:
        """Lambda's UpdateFunctionConfiguration (Environment.Variables, merged): invocations under way
        finish in the old execution environment, the next one starts a new one from the new environment."""
        function = self.find(name_or_arn)
        function.environment = {**function.environment, **variables}
        with self._lock:
            self._modules.pop(function.logical_id, None)

    def restore_configurations(self) -> None:
        """Every function back to its template environment, each in a new execution environment."""
        for logical_id, environment in self._template_environments.items():
            self.functions[logical_id].environment = dict(environment)
        with self._lock:
            self._modules.clear()

    def dependencies(self, name_or_arn: str) -> Any:
        """What the function's current execution environment built (its module's ``DEPENDENCIES``),
        starting one if none runs: for tests to inspect, or to replace a part of."""
        return self._module(self.find(name_or_arn)).DEPENDENCIES

    def find(self, name_or_arn: str) -> LocalFunction:
        name = name_or_arn.split(":function:")[-1].split(":")[0]
        for function in self.functions.values():
            if name in (function.name, function.logical_id):
                return function
        raise KeyError(f"No function {name_or_arn} in template.yaml")

    def apply_environment(self) -> None:
        """The variables every function agrees on, in this process's environment (the clients and SDK settings
        the functions share read them); one on which they disagree is each function's own, set only while its
        module starts (``_environment``)."""
        values: dict[str, set[str]] = {}
        for function in self.functions.values():
            for key, value in function.environment.items():
                values.setdefault(key, set()).add(value)
        os.environ.update({key: next(iter(agreed)) for key, agreed in values.items() if len(agreed) == 1})

    def handler(self, function: LocalFunction) -> Callable[..., Any]:
        return getattr(self._module(function), function.handler.rpartition(".")[2])

    def _module(self, function: LocalFunction) -> ModuleType:
        """The function's handler module, started (its init phase) on first use in this execution environment."""
        module_name = function.handler.rpartition(".")[0]
        with self._lock:
            if function.logical_id not in self._modules:
                # As Lambda puts its layers' content on the path, a later layer's files over an earlier one's
                # (functions share this process's sys.path).
                sys.path[:0] = [str(layer) for layer in reversed(function.layers) if str(layer) not in sys.path]
                path = function.code_dir / f"{module_name.replace('.', '/')}.py"
                spec = importlib.util.spec_from_file_location(f"fn_{function.logical_id}_{module_name}", path)
                assert spec and spec.loader, path
                module = importlib.util.module_from_spec(spec)
                with _environment(function.environment):
                    spec.loader.exec_module(module)
                self._modules[function.logical_id] = module
            return self._modules[function.logical_id]

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        """Run the handler; an exception becomes FunctionError with Lambda's error payload."""
        function = self.find(name_or_arn)
        foreground.checkpoint()  # a workflow's or an event's invocation waits while a request is served
        handler = self.handler(function)
        context = LambdaContext(function)
        credentials = self.credentials(function) if self.credentials else None
        try:
            fault = faults.begin_invocation(function.logical_id, event)
            try:
                with acting_as(credentials):
                    return handler(event, context)
            finally:
                faults.end_invocation(fault)
        except faults.FunctionCrashed as exc:  # as Lambda reports a process that died
            raise FunctionError(
                {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {context.aws_request_id} Error: {exc}"}
            ) from None
        except faults.FunctionTimedOut:
            message = f"{context.aws_request_id} Task timed out after {function.timeout:.2f} seconds"
            raise FunctionError({"errorType": "Sandbox.Timedout", "errorMessage": message}) from None
        except Exception as exc:  # noqa: BLE001 - Lambda reports any exception the same way
            payload = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            # As Lambda writes an unhandled error to the function's log: never lost, whoever called.
            ERROR_LOG.error(json.dumps(
                {"level": "ERROR", "function_name": function.name, "function_request_id": context.aws_request_id, **payload},
                ensure_ascii=True,
            ))
            raise FunctionError(payload) from exc


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with a function's own variables while its module starts (under the runtime's lock).
    Functions share this process and its environment (apply_environment): those on which they disagree, and
    those a configuration update changed, are read only by a module's start, so only they are swapped."""
    saved = {name: os.environ.get(name) for name, value in variables.items() if os.environ.get(name) != value}
    os.environ.update({name: variables[name] for name in saved})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def install_moto_lambda(runtime: FunctionRuntime) -> Callable[[], None]:
    """Make moto's Lambda (as Step Functions calls it) run our handlers. Returns an undo function."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    parameters = list(inspect.signature(LambdaSimpleBackend.invoke).parameters)
    if parameters != EXPECTED_INVOKE_PARAMETERS:
        raise RuntimeError(f"moto's LambdaSimpleBackend.invoke changed: {parameters}; update local_stack.runtime")

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any) -> bytes:
        event = json.loads(body) if body else {}
        try:
            result = runtime.invoke(function_name, event)
        except FunctionError as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(error.payload).encode()
        return json.dumps(result).encode()

    return replace((LambdaSimpleBackend, "invoke", invoke)).close

