"""botocore handlers in every session made from now on (botocore's built-in handlers) and in boto3's default
session if it exists already: a ``before-send`` handler first in line, so before moto's own in-process stubber
(a built-in handler too), or any handler last. Each returns how to take it out again."""

from collections.abc import Callable
from typing import Any

import boto3
import botocore.handlers


def first_before_send(handler: Callable[..., Any]) -> Callable[[], None]:
    entry = ("before-send", handler)
    botocore.handlers.BUILTIN_HANDLERS.insert(0, entry)
    default = _default_session_events()
    if default is not None:
        default.register_first("before-send", handler)

    def undo() -> None:
        if entry in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.remove(entry)
        if default is not None:
            default.unregister("before-send", handler)

    return undo


def last_handler(event: str, handler: Callable[..., Any]) -> Callable[[], None]:
    entry = (event, handler)
    botocore.handlers.BUILTIN_HANDLERS.append(entry)
    default = _default_session_events()
    if default is not None:
        default.register_last(event, handler)

    def undo() -> None:
        if entry in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.remove(entry)
        if default is not None:
            default.unregister(event, handler)

    return undo


def _default_session_events() -> Any:
    """The event emitter of boto3's default session (its botocore session's), if that session exists yet."""
    if boto3.DEFAULT_SESSION is None:
        return None
    return boto3.DEFAULT_SESSION._session.get_component("event_emitter")  # noqa: SLF001 - its botocore session
