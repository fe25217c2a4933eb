"""botocore handlers in every session made from now on (botocore's built-in handlers) and in boto3's default
session if it exists already: a ``before-send`` handler ``first`` in line runs before moto's own in-process
stubber (a built-in handler too); any other, last. Each returns how to take it out again."""

from collections.abc import Callable
from typing import Any

import boto3
import botocore.handlers


def register(event: str, handler: Callable[..., Any], *, first: bool = False) -> Callable[[], None]:
    entry = (event, handler)
    builtin = botocore.handlers.BUILTIN_HANDLERS
    builtin.insert(0 if first else len(builtin), entry)
    session = boto3.DEFAULT_SESSION  # boto3's default session, if it exists yet
    default = session._session.get_component("event_emitter") if session else None  # noqa: SLF001 - its botocore session
    if default is not None:
        (default.register_first if first else default.register_last)(event, handler)

    def undo() -> None:
        if entry in builtin:
            builtin.remove(entry)
        if default is not None:
            default.unregister(event, handler)

    return undo
