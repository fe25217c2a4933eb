"""IAM enforced locally: each function (and the state machine) calls AWS as its own role, and moto authorizes every call.

policy.py evaluates policies; requests.py says what a request needs; enforcement.py hooks moto;
credentials.py gives each function its role's session. The roles and their policies are the ones SAM
generates (local_stack.provision).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from local_stack.iam.credentials import (
    LAMBDA_SERVICE,
    STATES_SERVICE,
    install_function_credentials,
    install_state_machine_credentials,
    role_sessions,
)
from local_stack.iam.enforcement import install
from local_stack.moto_patches import replace

if TYPE_CHECKING:
    from local_stack.runtime import FunctionRuntime


def enable(runtime: "FunctionRuntime", account_id: str, region: str,
           state_machine_role_arn: str | None = None) -> Callable[[], None]:
    """Enforce IAM in this process's moto; run every function of ``runtime`` as its role, and the Step
    Functions interpreter's calls as the executing state machine's role (``state_machine_role_arn`` where no
    execution is known). Returns undo."""
    credentials = role_sessions(account_id, region)
    undo = replace((runtime, "credentials", lambda function: credentials(function.role_arn, function.name, LAMBDA_SERVICE)))
    undo.callback(install())
    undo.callback(install_function_credentials())
    if state_machine_role_arn:
        undo.callback(install_state_machine_credentials(
            lambda role: credentials(role or state_machine_role_arn, "state-machine", STATES_SERVICE)))
    return undo.close
