"""The environment every test runs in does not inherit the endpoints a user's shell points the SDKs at."""

import os

import pytest

from tests.support import use_test_environment


def test_the_users_endpoint_variables_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the README's exports (and another service's) in the shell that runs `make test`
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSLATE", "http://127.0.0.1:3000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5000")

    use_test_environment()

    assert [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")] == []
