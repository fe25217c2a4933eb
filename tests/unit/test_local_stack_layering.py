"""local_stack's modules are floors: a module imports only from floors below its own, so no import runs
back up and there is no circle; and local_stack is generic: it imports nothing of translate-jobs (the
application, translate_jobs_local, hands its App in from the top). Read from the source (no imports run);
imports under ``if TYPE_CHECKING:`` are for the type checker only and are not counted."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "local_stack"
FLOORS = {
    # what knows no other module: the template reader, the background timer, botocore's hook, the policy language
    "template": 0, "timer": 0, "hooks": 0, "event_patterns": 0, "authorizer": 0, "iam.policy": 0,
    "moto_patches": 0, "errors": 0, "persistence.journal": 0, "persistence.backends": 0,
    "app": 1, "foreground": 1, "iam.requests": 1, "iam.credentials": 1, "retention": 1,
    "faults": 2, "iam.enforcement": 2, "moto_speed": 2,
    "runtime": 3,  # the functions, run in this process
    "persistence.recorder": 3, "persistence": 4,  # the emulator's state kept in a folder (handed to the stack)
    "iam": 4, "provision": 4, "front": 4,
    "delivery": 5, "eventbridge": 5, "patches": 5,
    "stack": 6,  # the whole local stack
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The local_stack modules a module imports at run time (any depth, functions included)."""
    tree = ast.parse(path.read_text())
    type_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                 for statement in block.body for node in ast.walk(statement)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "local_stack":
            if node.module == "local_stack":
                found.update(alias.name for alias in node.names)
            else:
                found.add(node.module.removeprefix("local_stack."))
        elif isinstance(node, ast.Import):
            found.update(alias.name.removeprefix("local_stack.") for alias in node.names if alias.name.startswith("local_stack."))
    return found


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if module_name(path)}


def test_every_module_has_a_floor() -> None:
    assert sorted(modules()) == sorted(FLOORS)


def test_no_module_imports_from_its_own_floor_or_above() -> None:
    upward = [f"{name} -> {imported}" for name, path in modules().items() for imported in imports_of(path)
              if imported != name and FLOORS[imported] >= FLOORS[name]]
    assert upward == []


def test_local_stack_imports_nothing_of_the_application() -> None:
    application = ("translate_jobs", "translate_jobs_local")  # the library, and what `make run` adds around the emulator
    found = [f"{name} -> {node.module if isinstance(node, ast.ImportFrom) else alias.name}"
             for name, path in modules().items() for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
             if alias.name.split(".")[0] in application]
    assert found == []


def test_the_check_sees_imports_in_functions_and_not_type_only_ones(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from local_stack.runtime import X\n"
                      "def f():\n    from local_stack import stack\n    import local_stack.iam.policy\n")
    assert imports_of(module) == {"stack", "iam.policy"}
