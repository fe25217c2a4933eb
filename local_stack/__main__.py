"""python -m local_stack run | invoke FUNCTION EVENT  (see README: "Run it locally")."""

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from local_stack import faults, terminal
from local_stack.app import App
from local_stack.eventbridge import time_scale
from local_stack.faults import FaultPlan
from local_stack.product import CONSOLE_START_DEFAULTS, TRANSLATE_JOBS, engine_problem, with_absolute_models
from local_stack.retention import retention_seconds
from local_stack.runtime import FunctionError
from local_stack.stack import EmulatorUnavailableError, LocalStack, PortInUseError, ensure_port_free, invoke_function
from local_stack.template import load_template
from local_stack.views import start_views

APP: App = TRANSLATE_JOBS  # what this emulator runs: everything it knows of translate-jobs is in local_stack.product


def parameter_overrides(pairs: list[str]) -> dict[str, str]:
    """``Key=Value`` pairs for the template's Parameters, checked as CloudFormation would."""
    declared = load_template(APP.template).get("Parameters", {})
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in declared:
            raise ValueError(f"error: bad parameter override {pair!r}; template.yaml's parameters: {', '.join(declared)}")
        spec = declared[key]
        allowed = spec.get("AllowedValues")
        if allowed and value not in [str(a) for a in allowed]:
            raise ValueError(f"error: {key} must be one of {', '.join(map(str, allowed))}, not {value!r}")
        if spec.get("Type") == "Number":
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"error: {key} must be a number, not {value!r}") from None
            if not float(spec.get("MinValue", number)) <= number <= float(spec.get("MaxValue", number)):
                raise ValueError(f"error: {key} must be between {spec.get('MinValue')} and {spec.get('MaxValue')}")
        overrides[key] = value
    return overrides


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        parameters = with_absolute_models(parameter_overrides(args.parameter_overrides))
        plan = FaultPlan.parse(args.faults, APP.faults) if args.faults else None
        time_scale()  # LOCAL_SCHEDULE_SCALE, checked before anything starts
        retention_seconds()  # LOCAL_RETENTION_SECONDS too
        if args.logs not in ("file", "terminal"):
            raise ValueError(f"error: LOGS must be file or terminal, not {args.logs!r}")
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        ensure_port_free(args.host, args.port, "API")  # before the log file named after it is opened
    except PortInUseError as error:
        print(error, file=sys.stderr)
        return 1
    faults.activate(plan)
    # The functions' logs to a file (a thread of its own writes them); the terminal for people.
    out = terminal.install(Path(args.log_file) if args.log_file else terminal.default_log_file(args.port),
                           echo_logs=args.logs == "terminal")
    try:
        code = _serve(args, parameters, plan, started, out)
    finally:
        out.close()  # everything logged is written out first
    if code:
        return code
    # Everything is closed; skip tearing down thousands of moto/botocore objects (about a second).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)


def _serve(args: argparse.Namespace, parameters: dict[str, str], plan: FaultPlan | None, started: float,
           out: terminal.Terminal) -> int:
    """Start the stack, print the banner, serve until Ctrl-C (or SIGTERM), stop: the exit code."""
    local = LocalStack(
        app=APP,
        host=args.host,
        port=args.port,
        emulator_port=args.emulator_port,
        parameters=parameters,
        external_emulator=os.environ.get("AWS_ENDPOINT_URL") or None,
    )
    try:
        local.start()
    except (PortInUseError, EmulatorUnavailableError) as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while starting: no traceback, nothing left running
        local.stop()
        return 130
    problem, engine_note = engine_problem(local.stack, parameters) if local.stack else (None, None)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        local.stop()
        return 2
    views = start_views(local, out, args.console_port, CONSOLE_START_DEFAULTS)  # job lines here, the console in the browser
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    overrides = "".join(f"\n  parameter override: {key}={value}" for key, value in parameters.items())
    if time_scale() != 1:
        overrides += f"\n  schedules and retries run {1 / time_scale():g}x as fast (LOCAL_SCHEDULE_SCALE={time_scale():g})"
    notice = f"\n  note: {local.notice}" if local.notice else ""
    notice += f"\n  {engine_note}" if engine_note else ""
    if plan is not None:
        notice += f"\n  faults injected into the functions' AWS calls: {args.faults} (see README: Faults)"
    out.say(
        f"""
{APP.stack_name} is running locally (ready in {time.perf_counter() - started:.1f} s)
  API (like sam local start-api):   {local.api_url}
  emulator (moto, like moto_server): {local.emulator_url}
  {views.console_line}
  functions' logs:                   {out.shown_log_file} (LOGS=terminal shows them here too){notice}{overrides}
{APP.banner(local) if APP.banner else ""}

Press Ctrl-C to stop.""")
    stopping.wait()
    out.say("Shutting down...")
    views.stop()
    local.stop()
    if plan is not None:
        out.say(f"Faults injected: {dict(sorted(plan.injected.items()))}")
    out.say_repeats()
    out.say("Stopped.")
    return 0


def invoke(args: argparse.Namespace) -> int:
    event = json.loads(Path(args.event).read_text()) if args.event != "-" else json.load(sys.stdin)
    try:
        # As sam local invoke: the function's logs on stderr, its response alone on stdout.
        with contextlib.redirect_stdout(sys.stderr):
            result = invoke_function(args.function, event, APP)
    except FunctionError as error:
        print(json.dumps(error.payload))
        return 1
    print(json.dumps(result))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run the whole service locally")
    run_parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    run_parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", "5000")))
    run_parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=os.environ.get("PARAMETER_OVERRIDES", "").split(),
        metavar="KEY=VALUE",
        help="template.yaml parameters, as for sam (e.g. BatchSize=1); default: $PARAMETER_OVERRIDES",
    )
    run_parser.add_argument(
        "--faults",
        default=os.environ.get("FAULTS", ""),
        help="make AWS calls of the functions fail as AWS does, e.g. rate=0.05,seed=7 (README: Faults); default: $FAULTS",
    )
    run_parser.add_argument("--console-port", type=int, default=int(os.environ.get("CONSOLE_PORT", "3001")),
                            help="the browser console's port (docs/console.md); default: $CONSOLE_PORT or 3001")
    run_parser.add_argument("--logs", choices=["file", "terminal"], default=os.environ.get("LOGS", "file"),
                            help="the functions' JSON logs: to the log file only, or also here; default: $LOGS or file")
    run_parser.add_argument("--log-file", default=os.environ.get("LOG_FILE", ""),
                            help="where the functions' logs go; default: $LOG_FILE or .run/functions-<port>.log")
    run_parser.set_defaults(action=run)
    invoke_parser = commands.add_parser("invoke", help="run one function of template.yaml on one event (like sam local invoke)")
    invoke_parser.add_argument("function", help="logical id in template.yaml, e.g. ApiFunction")
    invoke_parser.add_argument("event", help="event file, e.g. events/api/stop.json, or - for stdin")
    invoke_parser.set_defaults(action=invoke)
    args = parser.parse_args()
    return int(args.action(args))


if __name__ == "__main__":
    sys.exit(main())
