"""local_stack.foreground: background work waits while a request is answered, never for long, never a request."""

import threading
import time

from local_stack import foreground


def _in_background(order: list[str]) -> tuple[threading.Thread, threading.Event]:
    reached = threading.Event()

    def work() -> None:
        reached.set()
        foreground.checkpoint()
        order.append("background")

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, reached


def test_background_work_waits_until_the_request_is_answered(monkeypatch):
    monkeypatch.setattr(foreground, "MAX_PAUSE_SECONDS", 60)
    order: list[str] = []
    with foreground.serving():
        thread, reached = _in_background(order)
        assert reached.wait(10)
        thread.join(0.2)  # unpaused, the background work would be done by now
        order.append("answered")
    thread.join(10)
    assert order == ["answered", "background"]


def test_background_work_goes_on_after_the_longest_pause(monkeypatch):
    monkeypatch.setattr(foreground, "MAX_PAUSE_SECONDS", 0.01)
    order: list[str] = []
    with foreground.serving():
        thread, _ = _in_background(order)
        thread.join(10)
        order.append("answered")
    assert order == ["background", "answered"]


def test_a_request_is_never_paused_by_its_own_calls(monkeypatch):
    monkeypatch.setattr(foreground, "MAX_PAUSE_SECONDS", 60)
    started = time.monotonic()
    with foreground.serving(), foreground.serving():  # itself, and another request at the same time
        foreground.checkpoint()
    assert time.monotonic() - started < 30


def test_nothing_waits_when_no_request_is_served(monkeypatch):
    monkeypatch.setattr(foreground, "MAX_PAUSE_SECONDS", 60)
    order: list[str] = []
    thread, _ = _in_background(order)
    thread.join(30)
    assert order == ["background"]


def test_work_for_after_the_answer_runs_once_the_request_is_answered():
    done: list[str] = []
    with foreground.serving():
        foreground.after_answer(lambda: done.append("workflow started"))
        done.append("answered")
    foreground.after_answer(lambda: done.append("outside a request: at once"))
    assert done == ["answered", "workflow started", "outside a request: at once"]
