"""The library's packages are layers: a module imports only from its own package or the layers below.

domain < core < dal < integrations < workflow < api < events: one package a floor, so two packages can
never import each other. Read from the source (no imports run), so a new module or a stray import is
caught without AWS, moto or sockets.
"""

import ast
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[2] / "layers" / "shared" / "translate_jobs"
RANK = {"domain": 0, "core": 1, "dal": 2, "integrations": 3, "workflow": 4, "api": 5, "events": 6}


def imports_of(path: Path) -> set[str]:
    """The translate_jobs packages a module imports (``translate_jobs.<package>...``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(name.split(".")[1] for name in names if name.startswith("translate_jobs.") and name.count(".") >= 1)
    return found


def test_every_module_lives_in_a_layer_package() -> None:
    flat = sorted(path.name for path in LIBRARY.glob("*.py") if path.name != "__init__.py")
    packages = sorted(path.name for path in LIBRARY.iterdir() if (path / "__init__.py").exists())
    assert flat == []
    assert packages == sorted(RANK)


def test_each_package_has_a_floor_of_its_own() -> None:
    # Two packages on one floor could import each other (a circle the check below would not see).
    assert len(set(RANK.values())) == len(RANK)


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = []
    for path in sorted(LIBRARY.glob("*/*.py")):
        layer = path.parent.name
        for imported in imports_of(path):
            assert imported in RANK, f"{path.relative_to(LIBRARY)} imports translate_jobs.{imported}: not a layer"
            if RANK[imported] > RANK[layer]:
                upward.append(f"{path.relative_to(LIBRARY)} -> {imported}")
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from translate_jobs.api.operations import OPERATIONS\nimport translate_jobs.events.stop_requests\n")
    assert imports_of(module) == {"api", "events"}


def test_no_two_test_modules_share_a_name() -> None:
    """tests/ has no __init__.py files, so pytest imports test modules by their base name: two of the same name
    in different folders stop a run that collects both (make test-e2e collects all of tests/) at collection."""
    tests = Path(__file__).resolve().parents[1]
    names: dict[str, list[str]] = {}
    for module in tests.rglob("*.py"):
        if module.name != "conftest.py" and "support" not in module.parts:
            names.setdefault(module.name, []).append(str(module.relative_to(tests)))
    assert {name: paths for name, paths in names.items() if len(paths) > 1} == {}
