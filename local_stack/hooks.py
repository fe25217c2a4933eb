"""A botocore ``before-send`` handler first in line: in every session made from now on (botocore's
built-in handlers) and in boto3's default session if it exists already, so before moto's own
in-process stubber (a built-in handler too). Returns how to take it out again."""

from collections.abc import Callable
from typing import Any

import boto3
import botocore.handlers


def first_before_send(handler: Callable[..., Any]) -> Callable[[], None]:
    entry = ("before-send", handler)
    botocore.handlers.BUILTIN_HANDLERS.insert(0, entry)
    default = boto3.DEFAULT_SESSION._session if boto3.DEFAULT_SESSION else None  # noqa: SLF001 - its botocore session
    if default is not None:
        default.register_first("before-send", handler)

    def undo() -> None:
        if entry in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.remove(entry)
        if default is not None:
            default.unregister("before-send", handler)

    return undo
