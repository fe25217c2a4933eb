"""Requests first: while the front serves a request, the stack's background work waits its turn.

On AWS, workflows, stream pollers and event deliveries run on machines of their own; in `make run`
they are threads sharing the API's one GIL, and took the CPU from the requests (a Stop spent two
thirds of its time waiting, a Start most of its time: `make bench`). So background work pauses at its
next AWS call or Lambda invocation while a request is answered (from the end of its body: a slow
client holds nothing), for at most MAX_PAUSE_SECONDS (so it always progresses, and no lock a request
waits on is held longer). What runs, and in which order, is unchanged; only when.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from local_stack.hooks import register

MAX_PAUSE_SECONDS = 0.02

_served = 0  # requests being served now
_quiet = threading.Condition()
_thread = threading.local()  # .serving: this thread is serving a request


@contextmanager
def serving() -> Iterator[None]:
    """Around a request: background work pauses at its next checkpoint until it is answered."""
    global _served
    with _quiet:
        _served += 1
    _thread.serving, _thread.after = True, []
    try:
        yield
    finally:
        _thread.serving = False
        with _quiet:
            _served -= 1
            if not _served:
                _quiet.notify_all()
        for work in _thread.after:
            work()


def after_answer(work: Callable[[], None]) -> None:
    """Run ``work`` once the request this thread serves is answered (now, outside a request)."""
    if getattr(_thread, "serving", False):
        _thread.after.append(work)
    else:
        work()


def idle(timeout: float) -> bool:
    """Wait until no request is being served (at most ``timeout`` seconds); whether none is."""
    with _quiet:
        return _quiet.wait_for(lambda: not _served, timeout=timeout)


def checkpoint(**_: Any) -> None:
    """Called by background work before each AWS call (as a botocore before-send handler) and Lambda invocation."""
    if not _served or getattr(_thread, "serving", False):
        return
    with _quiet:
        _quiet.wait_for(lambda: not _served, timeout=MAX_PAUSE_SECONDS)


def install() -> Callable[[], None]:
    """Every AWS call checks first (local_stack.hooks; moto's in-process answers come from a before-send handler
    too: this one runs before). Idle, it costs one comparison. Returns undo."""
    return register("before-send", checkpoint, first=True)
