"""For every test: the test environment (fake credentials, one region) and reports xdist can send.

Fixtures live in the conftest.py of the folder that needs them (tests/unit, tests/integration);
helpers that tests share live in tests/support.
"""

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import use_test_environment

use_test_environment()
_STATE_FOLDERS = itertools.count()


@pytest.fixture(scope="module", autouse=True)
def _module_state_folder(tmp_path_factory: Any) -> Iterator[None]:
    """The same for stacks a module fixture starts (autouse, so set before the module's own fixtures): a folder
    per module, so what one module's stack kept (a terminology, a job) is not in the next module's stack."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOCAL_STATE_DIR", str(tmp_path_factory.getbasetemp() / f"local-state-{next(_STATE_FOLDERS)}"))
        yield


@pytest.fixture(autouse=True)
def local_state_folder(tmp_path_factory: Any, monkeypatch: Any) -> Any:
    """Each test's `make run` keeps its state in a folder of its own (never the checkout's .local-state,
    which a developer's `make run` may hold): LOCAL_STATE_DIR, inherited by the subprocesses tests start."""
    folder = tmp_path_factory.getbasetemp() / f"local-state-{next(_STATE_FOLDERS)}"
    monkeypatch.setenv("LOCAL_STATE_DIR", str(folder))
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """Reports carry what a test printed or logged; hostile-input tests print lone surrogates, which
    cannot be encoded as UTF-8 (pytest-xdist sends reports between processes): escape them."""
    outcome = yield
    report = outcome.get_result()
    report.sections = [(name, text.encode("utf-8", "backslashreplace").decode()) for name, text in report.sections]


@pytest.fixture(scope="session")
def argos_models(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A folder of tiny Argos Translate packages (tests/support/argos.py), built once per session (a
    fraction of a second): en -> fr and de -> en, so de -> fr goes through English."""
    from tests.support.argos import build_packages

    folder = tmp_path_factory.mktemp("argos-models")
    build_packages(folder, [("en", "fr"), ("de", "en")])
    return folder
