"""What an execution environment keeps (settings, clients, the store) is built by its function's module
(functions/*/, the composition root) and passed down: the library keeps nothing per container, so a test
changes a function's configuration, or injects in-memory parts, without a list of caches to clear."""

import ast
import importlib.util
import json
from pathlib import Path

import pytest

from tests.support import ACCOUNT
from tests.support.fakes import InMemoryJobs, a_job, in_memory_api
from translate_jobs.api import operations
from translate_jobs.api.requests import StopTextTranslationJob
from translate_jobs.core.config import Settings
from translate_jobs.domain.caller import Caller
from translate_jobs.domain.errors import JobNotFoundError
from translate_jobs.domain.lifecycle import JobStatus, StopRequester

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "layers" / "shared" / "translate_jobs"
# Pure functions of their arguments (botocore's model, compiled patterns): nothing a cold start changes.
PURE_CACHES = {("api/validation.py", "_service_model"), ("api/validation.py", "_pattern")}
ENVIRONMENT = {"JOBS_TABLE_NAME": "jobs", "AWS_REGION": "us-east-1", "STOP_REQUEST_ACCOUNTS": "111122223333, 444455556666"}
JOB_ID = "0123456789abcdef0123456789abcdef"  # events/api/stop.json's


def module_caches() -> set[tuple[str, str]]:
    found = set()
    for path in LIBRARY.glob("*/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {ast.unparse(decorator).split("(")[0].split(".")[-1] for decorator in node.decorator_list}
                if names & {"cache", "lru_cache"}:
                    found.add((str(path.relative_to(LIBRARY)), node.name))
    return found


def test_the_library_keeps_nothing_per_container() -> None:
    assert module_caches() == PURE_CACHES


def test_settings_are_what_the_environment_said_when_they_were_read() -> None:
    environment = dict(ENVIRONMENT)
    settings = Settings.from_environ(environment)
    assert settings.jobs_table_name == "jobs"
    assert settings.stop_request_accounts == {"111122223333", "444455556666"}
    environment["JOBS_TABLE_NAME"] = "second"
    assert settings.jobs_table_name == "jobs"  # a warm execution environment keeps what it read
    assert Settings.from_environ(environment).jobs_table_name == "second"  # a new one reads it again


def test_stop_asks_the_store_it_is_given_and_answers_what_it_found() -> None:
    store = InMemoryJobs(a_job(ACCOUNT, "running", JobStatus.IN_PROGRESS), a_job(ACCOUNT, "done", JobStatus.COMPLETED))
    deps = in_memory_api(Settings.from_environ(ENVIRONMENT), store)
    caller = Caller.of_api(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/me")
    running = operations.stop_text_translation_job(deps, caller, StopTextTranslationJob("running"))
    done = operations.stop_text_translation_job(deps, caller, StopTextTranslationJob("done"))
    assert running == {"JobId": "running", "JobStatus": "STOP_REQUESTED"}
    assert done == {"JobId": "done", "JobStatus": "COMPLETED"}  # a finished job is answered unchanged
    assert store.get(ACCOUNT, "running").stop_requested_by == StopRequester("API", f"arn:aws:iam::{ACCOUNT}:user/me")
    assert store.get(ACCOUNT, "done").stop_requested_by is None
    with pytest.raises(JobNotFoundError):
        operations.stop_text_translation_job(deps, caller, StopTextTranslationJob("missing"))
    with pytest.raises(JobNotFoundError):  # another account's job is a missing one
        operations.stop_text_translation_job(deps, Caller.of_api("210987654321"), StopTextTranslationJob("running"))


def test_the_api_handler_answers_with_the_dependencies_injected(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the API function's module started as on Lambda (its own dependencies, from its environment)
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("api_under_test", ROOT / "functions" / "api" / "api.py")
    assert spec and spec.loader
    api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(api)
    assert api.DEPENDENCIES.settings.jobs_table_name == "jobs"
    # When a Stop is handled with an in-memory store injected instead
    store = InMemoryJobs(a_job(ACCOUNT, JOB_ID))
    event = json.loads((ROOT / "events" / "api" / "stop.json").read_text())
    response = api.handler(event, None, dependencies=in_memory_api(Settings.from_environ(ENVIRONMENT), store))
    # Then that store made the decision, with the caller recorded, and nothing reached AWS
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"JobId": JOB_ID, "JobStatus": "STOP_REQUESTED"}
    assert store.get(ACCOUNT, JOB_ID).stop_requested_by == StopRequester("API", f"arn:aws:iam::{ACCOUNT}:root")
