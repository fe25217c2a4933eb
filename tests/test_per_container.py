"""What a Lambda container builds once (settings, clients, the store) is declared with ``per_container``,
so one ``cold_start()`` rebuilds all of it: tests change the environment without a list of caches to clear."""

import ast
from pathlib import Path

from translate_jobs.core import config

LIBRARY = Path(__file__).resolve().parents[1] / "layers" / "shared" / "translate_jobs"
# Pure functions of their arguments (botocore's model, compiled patterns): nothing a cold start changes.
PURE_CACHES = {("api/validation.py", "_service_model"), ("api/validation.py", "_pattern")}


def bare_caches() -> set[tuple[str, str]]:
    found = set()
    for path in LIBRARY.glob("*/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {ast.unparse(decorator).split("(")[0].split(".")[-1] for decorator in node.decorator_list}
                if names & {"cache", "lru_cache"}:
                    found.add((str(path.relative_to(LIBRARY)), node.name))
    return found


def test_nothing_is_kept_per_container_outside_per_container() -> None:
    assert bare_caches() == PURE_CACHES


def test_a_cold_start_reads_the_environment_again(monkeypatch) -> None:
    monkeypatch.setenv("JOBS_TABLE_NAME", "first")
    monkeypatch.setenv("STOP_REQUEST_ACCOUNTS", "111122223333, 444455556666")
    config.cold_start()
    first = config.settings()
    assert config.settings() is first  # built once
    assert first.stop_request_accounts == {"111122223333", "444455556666"}
    monkeypatch.setenv("JOBS_TABLE_NAME", "second")
    assert config.settings().jobs_table_name == "first"  # a warm container keeps what it read
    config.cold_start()
    assert config.settings().jobs_table_name == "second"
    config.cold_start()  # the next test's functions start cold under its own environment
