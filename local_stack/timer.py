"""The stack's one background-loop helper: actions run when due, on a thread of its own.

EventBridge's deliveries, retries and schedules are one-off actions (local_stack.eventbridge's router is
a Timer); Lambda's pollers (local_stack.delivery) and the retention sweep are ``every`` actions. Tests
drive a Timer without its thread, with a clock of their own (``run_due``).
"""

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Timer:
    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        with self._changed:
            heapq.heappush(self._heap, (self.clock() + max(0.0, delay), next(self._order), action))
            self._changed.notify()

    def every(self, interval: float, action: Callable[[], None]) -> None:
        """``action`` now and then every ``interval`` seconds after it ends, until the timer stops."""

        def again() -> None:
            try:
                action()
            finally:
                self.call_later(interval, again)

        self.call_later(0, again)

    def run_due(self) -> None:
        """Run every action due now, including ones that become due while running."""
        while True:
            with self._changed:
                if self._stopping or not self._heap or self._heap[0][0] > self.clock():
                    return
                action = heapq.heappop(self._heap)[2]
            try:
                action()
            except Exception:  # noqa: BLE001 - one broken action must not stop the others
                log.exception("%s: an action failed", self.name)

    def start(self) -> "Timer":
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping:
            self.run_due()
            with self._changed:
                if not self._stopping:  # else stop() has notified already
                    self._changed.wait(self._heap[0][0] - self.clock() if self._heap else None)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
