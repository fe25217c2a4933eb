"""One cold start, in the fresh interpreter `make bench` runs this file in: import a handler module
and serve its first request, as Lambda's init and first invoke do. Prints the milliseconds as JSON.

Usage (by stop_latency.py): python cold_start.py HANDLER_FILE EVENT_FILE
with the function's environment (its template variables, AWS_ENDPOINT_URL naming the emulator) and
PYTHONPATH as Lambda's (the layer, the function's code).
"""

import time

STARTED = time.perf_counter()

import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402


def main(handler_file: str, event_file: str) -> None:
    spec = importlib.util.spec_from_file_location("cold_handler", handler_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = time.perf_counter()
    with open(event_file) as source:
        event = json.load(source)
    response = module.handler(event, None)
    served = time.perf_counter()
    assert response["statusCode"] == 200, response
    print(json.dumps({"import_ms": (imported - STARTED) * 1000, "cold_ms": (served - STARTED) * 1000}), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
