"""IAM enforced locally: each function calls AWS as its own role, and moto authorizes every call.

policy.py evaluates policies; requests.py says what a request needs; enforcement.py hooks moto;
credentials.py gives each function its role's session; sam.py expands a function's Policies;
roles.py is the data-access role's trust policy.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from local_stack.iam.credentials import FunctionSessions, install_function_credentials
from local_stack.iam.enforcement import Enforcement, install

if TYPE_CHECKING:
    from local_stack.runtime import FunctionRuntime


def enable(runtime: "FunctionRuntime", account_id: str, region: str) -> tuple[Enforcement, Callable[[], None]]:
    """Enforce IAM in this process's moto, and run every function of ``runtime`` as its role. Returns undo."""
    enforcement, undo_enforcement = install()
    undo_credentials = install_function_credentials()
    sessions = FunctionSessions(account_id, region)
    runtime.credentials = lambda function: sessions.credentials(function.role_arn, function.name)

    def undo() -> None:
        runtime.credentials = None
        undo_credentials()
        undo_enforcement()

    return enforcement, undo
