"""Unit tests run without moto and without the network. While a test module here is imported and while its
tests run, connecting, binding or sending on an internet socket, or importing moto, fails the test: such
a test belongs in tests/integration.

Checked on the test's own thread (xdist may run a unit module in a worker where an integration module
left Step Functions threads behind). ``pytest tests/unit`` imports everything afresh, so there an import
of moto anywhere below a unit test is caught; in a mixed run a library module that an integration test
imported first is not imported again.
"""

import builtins
import importlib.abc
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
_real_import = builtins.__import__
_real_socket = socket.socket


def _is_moto(name: str) -> bool:
    return name == "moto" or name.startswith("moto.")


def _on_test_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class MotoInUnitTestError(RuntimeError):
    """Not an ImportError: code that tolerates a missing moto must not go on half set up for a later test."""


def _refuse_moto(name: str) -> None:
    raise MotoInUnitTestError(f"unit tests run without moto (imported {name!r}): put this test in tests/integration")


def _guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:  # noqa: A002
    if level == 0 and _is_moto(name) and _on_test_thread():
        _refuse_moto(name)  # even when moto is already loaded (another module of the same worker)
    return _real_import(name, globals, locals, fromlist, level)


class _RefuseMoto(importlib.abc.MetaPathFinder):
    """Imports that do not go through ``__import__`` (importlib.import_module)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if _is_moto(name) and _on_test_thread():
            _refuse_moto(name)


class _GuardedSocket(_real_socket):
    """A socket may be made (the X-Ray SDK makes its UDP one on import); reaching the network fails."""

    def _refuse(self) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and _on_test_thread():
            raise RuntimeError("unit tests use no network: put this test in tests/integration (or tests/e2e)")

    def connect(self, address: Any) -> None:
        self._refuse()
        super().connect(address)

    def connect_ex(self, address: Any) -> int:
        self._refuse()
        return super().connect_ex(address)

    def bind(self, address: Any) -> None:
        self._refuse()
        super().bind(address)

    def sendto(self, *args: Any) -> int:
        self._refuse()
        return super().sendto(*args)


class _Guards:
    def __enter__(self) -> None:
        self.finder = _RefuseMoto()
        sys.meta_path.insert(0, self.finder)
        builtins.__import__ = _guarded_import
        socket.socket = _GuardedSocket  # type: ignore[misc]

    def __exit__(self, *exc: object) -> None:
        socket.socket = _real_socket  # type: ignore[misc]
        builtins.__import__ = _real_import
        sys.meta_path.remove(self.finder)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A unit test module is imported (its module-level imports run) under the guards."""
    if isinstance(collector, pytest.Module) and collector.path.is_relative_to(HERE):
        with _Guards():
            yield
    else:
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
    """Set-up, the test and tear-down run under the guards (the hook is called for every test: only ours)."""
    if item.path.is_relative_to(HERE):
        with _Guards():
            yield
    else:
        yield
