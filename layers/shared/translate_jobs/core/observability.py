"""Logging, tracing and metrics for every handler (names come from POWERTOOLS_* variables).

On Lambda an execution environment serves one request at a time; locally the front runs many
handlers at once in one process. So nothing about a request lives on a shared object: the logger's
request keys are Powertools' thread-safe keys (a context variable), each invocation gets its own
``EphemeralMetrics``, and each handler runs in a copy of the caller's context. Handlers are wrapped
with ``observed``; code below them calls ``metrics()`` for the current invocation's metrics.
"""

import contextvars
import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics
from aws_lambda_powertools.utilities import jmespath_utils

# ensure_ascii: a value holding a lone surrogate (hostile input) cannot be written to a UTF-8
# stream, and the logging module would drop the whole record; escaped, the record is written.
logger = Logger(json_serializer=functools.partial(json.dumps, default=str, separators=(",", ":"), ensure_ascii=True))
# Made only where Powertools would trace (on Lambda, unless POWERTOOLS_TRACE_DISABLED): a disabled
# Tracer still imports the X-Ray SDK (~0.2 s of every cold start) only to switch it off.
tracer = None if Tracer._is_tracer_disabled() else Tracer()

_metrics: contextvars.ContextVar[EphemeralMetrics | None] = contextvars.ContextVar("invocation_metrics", default=None)
_started: set[str] = set()  # functions that have had their cold start in this process

Handler = TypeVar("Handler", bound=Callable[..., Any])


def metrics() -> EphemeralMetrics:
    """The current invocation's metrics (a throwaway set outside a handler, e.g. in unit tests)."""
    current = _metrics.get()
    if current is None:
        current = EphemeralMetrics()
        _metrics.set(current)
    return current


def observed(correlation_id_path: str | None = None) -> Callable[[Handler], Handler]:
    """What ``inject_lambda_context`` + ``log_metrics`` + ``capture_lambda_handler`` do, per invocation."""

    def decorate(handler: Handler) -> Handler:
        traced = tracer.capture_lambda_handler(handler) if tracer else handler

        @functools.wraps(handler)
        def run(event: Any, context: Any, **injected: Any) -> Any:  # injected: a test's dependencies
            return contextvars.copy_context().run(_invoke, traced, event, context, correlation_id_path, injected)

        return run  # type: ignore[return-value]

    return decorate


def _invoke(
    handler: Callable[..., Any], event: Any, context: Any, correlation_id_path: str | None, injected: dict[str, Any]
) -> Any:
    function_name = getattr(context, "function_name", None)
    cold_start = function_name not in _started
    _started.add(str(function_name))
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(
        cold_start=cold_start,
        function_name=function_name,
        function_memory_size=getattr(context, "memory_limit_in_mb", None),
        function_arn=getattr(context, "invoked_function_arn", None),
        function_request_id=getattr(context, "aws_request_id", None),
    )
    if correlation_id_path and isinstance(event, dict):
        logger.thread_safe_append_keys(correlation_id=jmespath_utils.query(envelope=correlation_id_path, data=event))
    invocation_metrics = EphemeralMetrics()
    _metrics.set(invocation_metrics)
    try:
        return handler(event, context, **injected)
    finally:
        if invocation_metrics.metric_set:
            invocation_metrics.flush_metrics()
