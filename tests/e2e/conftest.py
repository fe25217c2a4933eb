"""Every test here starts processes of its own (`make run`, a moto server, the AWS CLI): all are marked
e2e, so `make test` leaves them to `make test-e2e`."""

import signal
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent

# The tests press Ctrl-C (SIGINT) on what they start, as a terminal would. A runner that starts the suite as a
# background job of a non-interactive shell (`cmd &`, nohup) starts it with SIGINT ignored, which every child
# would inherit (`tail -f` would never stop): with a handler here, children start with SIGINT's default again.
signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.e2e)
