"""translate_jobs_local.output: make run's stdout, queued by line and written by one thread."""

import io
import sys
import threading

from translate_jobs_local.output import QueuedLines, install


class Held(io.StringIO):
    """A terminal that blocks every write until released."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def write(self, text: str) -> int:
        self.released.wait(timeout=30)
        return super().write(text)


def test_lines_from_many_threads_are_all_written_whole_and_in_each_thread_s_order():
    target = io.StringIO()
    lines = QueuedLines(target)

    def log(thread: int) -> None:
        for n in range(200):
            lines.write(f"thread {thread} ")  # a line written in pieces, as print() writes it
            lines.write(f"line {n}\n")

    threads = [threading.Thread(target=log, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines.drain()

    written = target.getvalue().splitlines()
    assert len(written) == 8 * 200
    for thread in range(8):
        assert [line for line in written if line.startswith(f"thread {thread} ")] == [
            f"thread {thread} line {n}" for n in range(200)]


def test_a_write_does_not_wait_for_the_terminal_and_drain_waits_for_everything():
    terminal = Held()
    lines = QueuedLines(terminal)
    for n in range(1000):  # would block at the first line if writes went straight to the terminal
        lines.write(f"line {n}\n")
    lines.write("no newline yet")
    assert terminal.getvalue() == ""

    terminal.released.set()
    lines.drain()
    assert terminal.getvalue() == "".join(f"line {n}\n" for n in range(1000)) + "no newline yet"


def test_install_queues_stdout_and_its_undo_writes_everything_and_restores_it(monkeypatch):
    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stdout", terminal)
    restore = install()
    assert isinstance(sys.stdout, QueuedLines)
    print("Shutting down...")
    print("Stopped.", end="")
    restore()
    assert sys.stdout is terminal
    assert terminal.getvalue() == "Shutting down...\nStopped."


def test_a_terminal_far_behind_makes_writers_wait_rather_than_the_queue_grow(monkeypatch):
    from translate_jobs_local import output

    monkeypatch.setattr(output, "_MOST_WAITING", 10)
    terminal = Held()
    lines = QueuedLines(terminal)
    written = threading.Event()

    def log() -> None:
        for n in range(100):
            lines.write(f"line {n}\n")
        written.set()

    threading.Thread(target=log, daemon=True).start()
    assert not written.wait(timeout=0.5)  # at most 10 waiting (+ the chunk being written): the writer waits
    assert lines._lines.qsize() <= 10
    terminal.released.set()
    assert written.wait(timeout=30)
    lines.drain()
    assert terminal.getvalue() == "".join(f"line {n}\n" for n in range(100))
