"""What the code and the docs point a reader at exists: every ``tests/...py`` path they name is a file
(tests moved into tests/unit, tests/integration and tests/e2e once, and seven comments kept the old paths)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("layers/shared/translate_jobs", "functions", "local_stack", "translate_jobs_local", "tests", "docs")
TOP_FILES = ("README.md", "template.yaml", "Makefile", "pyproject.toml")
TEST_PATH = re.compile(r"\btests/[\w/]+\.py\b")


def named_test_paths() -> dict[str, set[str]]:
    """Each file that names a tests/...py path, with the paths it names."""
    files = [ROOT / name for name in TOP_FILES]
    for folder in SOURCES:
        files += [path for path in (ROOT / folder).rglob("*") if path.suffix in (".py", ".md", ".yaml", ".json")]
    found: dict[str, set[str]] = {}
    for path in files:
        paths = set(TEST_PATH.findall(path.read_text(encoding="utf-8", errors="replace")))
        if paths:
            found[str(path.relative_to(ROOT))] = paths
    return found


def test_every_test_path_named_in_code_and_docs_exists() -> None:
    named = named_test_paths()
    missing = sorted(f"{source}: {path}" for source, paths in named.items() for path in paths if not (ROOT / path).is_file())
    assert missing == []
    assert "tests/unit/test_layering.py" in named["layers/shared/translate_jobs/__init__.py"]  # the scan sees the library
