"""Every test here starts processes of its own (`make run`, a moto server, the AWS CLI): all are marked
e2e, so `make test` leaves them to `make test-e2e`."""

from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)
