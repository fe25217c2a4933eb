"""Where moto is much slower than AWS in a way a user of `make run` feels, and the fix (`make bench`
measures each; the README's "Speed, locally" has the figures). Each patch keeps moto's answers as
they were, byte for byte: only the work behind them changes. ``install()`` applies them all and
returns the undo.

* SQS SendMessage walked every message of the queue: moto reads ``Queue.attributes`` (for a FIFO
  queue's ContentBasedDeduplication), which counts the visible, delayed and in-flight messages
  (three passes, each message asking for the time). The local events queue, which nobody needs to
  read, grows by one message per job status change, so each Stop's event cost more than the one
  before. A send now reads that one attribute; GetQueueAttributes still counts.
"""

import functools
import threading
from collections.abc import Callable
from typing import Any

_SENDING = threading.local()  # set while this thread is inside an SQS send


def install() -> Callable[[], None]:
    undoes = [_sqs_send_without_counting()]

    def undo() -> None:
        for each in reversed(undoes):
            each()

    return undo


def _sqs_send_without_counting() -> Callable[[], None]:
    from moto.sqs.models import Queue, SQSBackend

    original_attributes = Queue.attributes
    original_send = SQSBackend.send_message

    def attributes(queue: Any) -> dict[str, Any]:
        if not getattr(_SENDING, "active", False):
            return original_attributes.fget(queue)  # type: ignore[attr-defined, no-any-return]
        if not queue.fifo_queue:  # moto's attributes name ContentBasedDeduplication for FIFO queues only
            return {}
        value = queue.content_based_deduplication
        return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}

    @functools.wraps(original_send)
    def send_message(*args: Any, **kwargs: Any) -> Any:
        if getattr(_SENDING, "active", False):
            return original_send(*args, **kwargs)
        _SENDING.active = True
        try:
            return original_send(*args, **kwargs)
        finally:
            _SENDING.active = False

    Queue.attributes = property(attributes)  # type: ignore[assignment, method-assign]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]

    def undo() -> None:
        Queue.attributes = original_attributes  # type: ignore[method-assign]
        SQSBackend.send_message = original_send  # type: ignore[method-assign]

    return undo
