"""For every test: the test environment (fake credentials, one region) and reports xdist can send.

Fixtures live in the conftest.py of the folder that needs them (tests/unit, tests/integration);
helpers that tests share live in tests/support.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import use_test_environment

use_test_environment()


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
