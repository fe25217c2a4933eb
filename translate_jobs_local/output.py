"""`make run`'s standard output, written by one thread, as Lambda ships a function's stdout to
CloudWatch Logs after the fact.

The functions log from many threads at once. Written directly, a request's log line waited for the
terminal, and for the logging handler's lock held by another thread across a write: up to a third of
an in-process Stop (`make bench`). Here a write only queues its complete lines, in order; one thread
writes them out. Nothing is dropped: ``drain()`` writes what is queued (and any unfinished line)
before the process exits.
"""

import io
import queue
import sys
import threading
from collections.abc import Callable
from typing import TextIO

_CHUNK = 256  # lines written (and flushed) at once when many are waiting
# Lines waiting at most: a terminal slower than the logs makes the loggers wait again (as a direct write
# did), rather than the queue growing without bound.
_MOST_WAITING = 10_000


class QueuedLines(io.TextIOBase):
    """A text stream whose writes are queued by line and written to ``target`` by a thread of its own."""

    def __init__(self, target: TextIO | io.TextIOBase) -> None:
        self.target = target
        # Lines, and the drains waiting for the lines before them to be written (a put holds a lock
        # only for the put itself: never across a write).
        self._lines: queue.Queue[str | threading.Event] = queue.Queue(maxsize=_MOST_WAITING)
        self._unfinished: dict[int, str] = {}  # per thread: text written after its last newline
        threading.Thread(target=self._write_out, name="local-stack-output", daemon=True).start()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        thread = threading.get_ident()
        head, newline, tail = (self._unfinished.pop(thread, "") + text).rpartition("\n")
        if newline:
            self._lines.put(head + newline)
        if tail:
            self._unfinished[thread] = tail
        return len(text)

    def flush(self) -> None:
        """A no-op: queued lines are written as soon as the writer gets to them (``drain`` waits for that)."""

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:  # for a child process given this stream: it writes to the terminal directly
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.target.encoding

    def drain(self) -> None:
        """Write everything written so far, unfinished lines included, and wait until it is out."""
        for thread in list(self._unfinished):
            self._lines.put(self._unfinished.pop(thread, ""))
        written = threading.Event()
        self._lines.put(written)
        written.wait()

    def _write_out(self) -> None:
        while True:
            chunk, drains = [], []
            item = self._lines.get()
            while True:
                if isinstance(item, threading.Event):
                    drains.append(item)  # set once the lines queued before it are written
                else:
                    chunk.append(item)
                if len(chunk) >= _CHUNK:
                    break
                try:
                    item = self._lines.get_nowait()
                except queue.Empty:
                    break
            try:
                if chunk:
                    self.target.write("".join(chunk))
                    self.target.flush()
            except (OSError, ValueError):  # the terminal went away: the lines have nowhere to go
                pass
            for drain in drains:
                drain.set()


def install() -> Callable[[], None]:
    """Queue sys.stdout's writes (before the functions' loggers bind to it); returns the undo, which drains."""
    original = sys.stdout
    queued = QueuedLines(original)
    sys.stdout = queued

    def undo() -> None:
        queued.drain()
        if sys.stdout is queued:
            sys.stdout = original

    return undo
