"""One invocation of one built handler, as the Lambda Python runtime makes it.

Run by tests/artifact with ``<runtime venv>/bin/python -I lambda_runner.py TASK_ROOT LAYERS HANDLER EVENT``
(LAYERS: each layer's python/ folder, joined with os.pathsep):
``-I`` keeps the dev venv, PYTHONPATH and the user site out, so the interpreter sees only the
standard library and the runtime's SDK. The function's code and the layer go first on sys.path,
in Lambda's order (/var/task, then /opt/python). Standard library only: nothing else is importable
before sys.path is set.

Prints one JSON line: the handler's result (or its error, as Lambda reports it) and where each
module came from.
"""

import importlib
import json
import sys
import time
import traceback
import uuid
from pathlib import Path


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, function_name: str, memory: str, region: str, account: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.memory_limit_in_mb = memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "artifact-test"
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def main() -> int:
    import os

    task_root, layers, handler_spec, event_file = sys.argv[1:5]
    sys.path[0:0] = [task_root, *layers.split(os.pathsep)]  # each layer's python/, in Lambda's order
    module_name, function_name = handler_spec.rsplit(".", 1)
    event = json.loads(Path(event_file).read_text())
    context = Context(os.environ["AWS_LAMBDA_FUNCTION_NAME"], os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"],
                      os.environ["AWS_REGION"], os.environ["DEFAULT_ACCOUNT_ID"])
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        outcome = {"result": handler(event, context)}
    except Exception as error:  # noqa: BLE001 - reported as Lambda reports an unhandled error
        outcome = {"errorType": type(error).__name__, "errorMessage": str(error), "stackTrace": traceback.format_exc()}
    outcome["sys_path"] = sys.path
    outcome["modules"] = {
        name: getattr(module, "__file__", None)
        for name, module in sorted(sys.modules.items())
        if module is not None and getattr(module, "__file__", None) != __file__  # this runner (__main__, __mp_main__)
    }
    print(json.dumps(outcome, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
