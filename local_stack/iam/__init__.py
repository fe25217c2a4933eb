"""IAM enforced locally: each function (and the state machine) calls AWS as its own role, and moto authorizes every call.

policy.py evaluates policies; requests.py says what a request needs; enforcement.py hooks moto;
credentials.py gives each function its role's session. The roles and their policies are the ones SAM
generates (local_stack.provision).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from local_stack.iam.credentials import (
    STATES_SERVICE,
    FunctionSessions,
    install_function_credentials,
    install_state_machine_credentials,
)
from local_stack.iam.enforcement import install

if TYPE_CHECKING:
    from local_stack.runtime import FunctionRuntime


def enable(runtime: "FunctionRuntime", account_id: str, region: str,
           state_machine_role_arn: str | None = None) -> Callable[[], None]:
    """Enforce IAM in this process's moto; run every function of ``runtime`` as its role, and the Step
    Functions interpreter's calls as the executing state machine's role (``state_machine_role_arn`` where no
    execution is known). Returns undo."""
    undo_enforcement = install()
    undo_credentials = install_function_credentials()
    sessions = FunctionSessions(account_id, region)
    runtime.credentials = lambda function: sessions.credentials(function.role_arn, function.name)
    undo_state_machine = install_state_machine_credentials(
        lambda role: sessions.credentials(role or state_machine_role_arn, "state-machine", STATES_SERVICE)  # type: ignore[arg-type]
    ) if state_machine_role_arn else None

    def undo() -> None:
        runtime.credentials = None
        if undo_state_machine:
            undo_state_machine()
        undo_credentials()
        undo_enforcement()

    return undo
