"""python -m translate_jobs_local run | reset | invoke FUNCTION EVENT  (docs/local-stack.md, docs/local-state.md)."""

import argparse
import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path


def _stopped_while_starting(signum: int, frame: object = None) -> None:
    os.write(2, b"Stopped while starting.\n")
    os._exit(128 + signum)  # nothing was answered yet that the journal does not hold


if __name__ == "__main__":  # before the imports below (seconds of them): a signal stops the start, quietly
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, _stopped_while_starting)

from local_stack import faults
from local_stack.app import App
from local_stack.eventbridge import time_scale
from local_stack.faults import FaultPlan
from local_stack.persistence import LocalState, StateError
from local_stack.retention import retention_seconds
from local_stack.runtime import FunctionError
from local_stack.stack import EmulatorUnavailableError, LocalStack, PortInUseError, ensure_port_free, invoke_function
from local_stack.template import load_template
from translate_jobs_local import terminal
from translate_jobs_local.app import CONSOLE_START_DEFAULTS, TRANSLATE_JOBS, engine_problem, with_absolute_models
from translate_jobs_local.views import start_views

APP: App = TRANSLATE_JOBS  # what this emulator runs: everything it knows of translate-jobs is in translate_jobs_local.app
DEFAULT_STATE_DIR = APP.root / ".local-state"


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
        check_host(args.host, args.allow_network)
        if args.logs not in ("file", "terminal"):
            raise ValueError(f"error: LOGS must be file or terminal, not {args.logs!r}")
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    stop = StopRequests().install()  # before anything starts: a signal during the start stops it once started
    try:
        ensure_port_free(args.host, args.port, "API")  # first: a second `make run` is told about its ports
        args.external_emulator = external_emulator(args)
        if not args.external_emulator:
            ensure_port_free(args.host, args.emulator_port, "emulator")
        state = open_state(args)
    except (PortInUseError, StateError) as error:
        print(what_to_do(error), file=sys.stderr)
        return 1
    faults.activate(plan)
    # The functions' logs to a file (a thread of its own writes them); the terminal for people.
    out = terminal.install(Path(args.log_file) if args.log_file else terminal.default_log_file(args.port),
                           echo_logs=args.logs == "terminal")
    try:
        code = _serve(args, parameters, plan, started, state, stop, out)
    finally:
        out.close()  # everything logged is written out first
    if code:
        return code
    # Everything is closed; skip tearing down thousands of moto/botocore objects (about a second).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)


class StopRequests:
    """SIGINT and SIGTERM, seen by the main thread, which polls ``requested``.

    The handler takes no lock (it runs on the main thread between two bytecodes, maybe inside a lock's
    own code: ``threading.Event.set`` there deadlocked): it counts, or exits with ``os._exit``, which is
    safe whenever it happens, since every change answered is in the journal already. It exits while
    the stack is starting (a start is not worth finishing to stop it), and on a second Ctrl-C while it
    is stopping; more SIGTERMs change nothing (make, a process manager and the terminal may each send one).
    """

    def __init__(self) -> None:
        self.requested = 0
        self.starting = True
        self._interrupts = 0

    def install(self) -> "StopRequests":
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.requested += 1
        self._interrupts += signum == signal.SIGINT
        if self.starting:
            _stopped_while_starting(signum)
        if self._interrupts > 1:
            os.write(2, b"Second Ctrl-C: stopped at once (every change answered is kept: docs/local-state.md).\n")
            os._exit(128 + signum)

    def started(self) -> None:
        """From now on a signal stops the stack cleanly (the first) or at once (a second Ctrl-C)."""
        self.starting = False

    def wait(self) -> None:
        while not self.requested:
            time.sleep(0.1)


def what_to_do(error: Exception) -> str:
    """The emulator's error, and what a user of `make run` does about it."""
    if isinstance(error, PortInUseError):
        variable, option = ("PORT", "--port") if error.what == "API" else ("EMULATOR_PORT", "--emulator-port")
        return f"{error}; choose another: make run {variable}=<port> (python -m translate_jobs_local run {option} <port>)"
    if isinstance(error, StateError):
        remedy = ("stop it, or choose another folder: make run LOCAL_STATE_DIR=<folder>" if error.in_use
                  else "`make run FRESH=1` (or `make reset`) starts empty")
        return f"{error}; {remedy}"
    return str(error)


def check_host(host: str, allow_network: bool) -> None:
    """Both ports listen on ``host``: loopback, unless the user says they want the network (and hears the risk)."""
    if _is_loopback(host) or allow_network:
        return
    raise ValueError(
        f"error: HOST={host} would put the API and the emulator on the network. The emulator has no authentication "
        "and answers as root for every account (a Scan of the jobs table, the NextToken key). If that is what you "
        f"want: make run HOST={host} ALLOW_NETWORK=1 (python -m translate_jobs_local run --host {host} --allow-network)"
    )


def _is_loopback(host: str) -> bool:
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses)


def external_emulator(args: argparse.Namespace) -> str | None:
    """The running emulator AWS_ENDPOINT_URL names, if any. The README's walkthrough exports it for the AWS CLI,
    naming this run's own emulator: started in that shell, with nothing there yet, this run serves it itself."""
    url = os.environ.get("AWS_ENDPOINT_URL") or None
    if url is None:
        return None
    own = {f"http://{host}:{args.emulator_port}" for host in (args.host, "localhost", "127.0.0.1")}
    if url.rstrip("/") in own:
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex((args.host, args.emulator_port)) != 0:  # nothing answers: not another emulator
                return None
    return url


def open_state(args: argparse.Namespace) -> LocalState | None:
    """The folder the emulator keeps its state in (None: in memory only, or another emulator's)."""
    if not args.state_dir or args.external_emulator:
        return None
    return LocalState.open(Path(args.state_dir), fresh=args.fresh)


def _serve(args: argparse.Namespace, parameters: dict[str, str], plan: FaultPlan | None, started: float,
           state: LocalState | None, stop: StopRequests, out: terminal.Terminal) -> int:
    """Start the stack, print the banner, serve until Ctrl-C (or SIGTERM), stop: the exit code."""
    local = LocalStack(
        app=APP,
        host=args.host,
        port=args.port,
        emulator_port=args.emulator_port,
        parameters=parameters,
        external_emulator=args.external_emulator,
        state=state,
    )
    try:
        local.start()
    except (PortInUseError, EmulatorUnavailableError, StateError) as error:
        print(what_to_do(error), file=sys.stderr)
        local.stop()
        return 1
    problem, engine_note = engine_problem(local.stack, parameters) if local.stack else (None, None)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        local.stop()
        return 2
    views = start_views(local, out, args.console_port, CONSOLE_START_DEFAULTS)  # job lines here, the console in the browser
    overrides = "".join(f"\n  parameter override: {key}={value}" for key, value in parameters.items())
    if time_scale() != 1:
        overrides += f"\n  schedules and retries run {1 / time_scale():g}x as fast (LOCAL_SCHEDULE_SCALE={time_scale():g})"
    notice = f"\n  note: {local.notice}" if local.notice else ""
    notice += f"\n  {engine_note}" if engine_note else ""
    if plan is not None:
        notice += f"\n  faults injected into the functions' AWS calls: {args.faults} (docs/local-stack.md: Faults)"
    stop.started()  # before the banner: whoever reads it may stop the stack, and gets a clean stop
    if not _is_loopback(args.host):
        notice += (f"\n  WARNING: listening on {args.host}: anyone who reaches this machine can use the emulator, which has "
                   "no authentication (every account's data, as root)")
    out.say(
        f"""
{APP.stack_name} is running locally (ready in {time.perf_counter() - started:.1f} s)
  API (like sam local start-api):   {local.api_url}
  emulator (moto, like moto_server): {local.emulator_url}
  {views.console_line}
  functions' logs:                   {out.shown_log_file} (LOGS=terminal shows them here too)
  state: {describe_state(state, local.resumed, args.external_emulator)}{notice}{overrides}
{APP.banner(local) if APP.banner else ""}

Press Ctrl-C to stop.""")
    stop.wait()
    out.say("Shutting down (Ctrl-C again to stop at once)...")
    views.stop()
    local.stop()
    if plan is not None:
        out.say(f"Faults injected: {dict(sorted(plan.injected.items()))}")
    out.say_repeats()
    out.say("Stopped." + (f" State saved in {state.folder}." if state else ""))
    return 0


def describe_state(state: LocalState | None, resumed: int, external_emulator: str | None) -> str:
    if state is None:
        if external_emulator:
            return "the running emulator's"
        return "in memory only (LOCAL_STATE_DIR is empty): a stop forgets everything"
    restored = state.restored
    text = f"{state.folder} ({restored.describe()}"
    if resumed:
        text += f"; running workflows started again: {resumed}"
    text += "; make run FRESH=1 starts empty)"
    if restored.template_changed:
        text += ("\n  note: template.yaml changed since this state was saved: resources it adds were created "
                 f"({', '.join(restored.added) or 'none'}); those already saved keep their saved settings")
    return text


def reset(args: argparse.Namespace) -> int:
    """Empty the state folder (refused while a stack runs on it)."""
    if not args.state_dir:
        print("error: no state folder (LOCAL_STATE_DIR is empty)", file=sys.stderr)
        return 2
    try:
        state = LocalState.open(Path(args.state_dir), fresh=True)
    except StateError as error:
        print(what_to_do(error), file=sys.stderr)
        return 1
    state.close()
    print(f"Emptied {state.folder}: the next `make run` starts from template.yaml alone.")
    return 0


def invoke(args: argparse.Namespace) -> int:
    event = json.loads(Path(args.event).read_text()) if args.event != "-" else json.load(sys.stdin)
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{args.emulator_port}"
    try:
        # As sam local invoke: the function's logs on stderr, its response alone on stdout.
        with contextlib.redirect_stdout(sys.stderr):
            result = invoke_function(args.function, event, APP, endpoint)
    except EmulatorUnavailableError as error:
        print(f"{error}: start one with `make run`, or point EMULATOR_PORT (or AWS_ENDPOINT_URL) at the one running",
              file=sys.stderr)
        return 1
    except FunctionError as error:
        print(json.dumps(error.payload))
        return 1
    print(json.dumps(result))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m translate_jobs_local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run the whole service locally")
    # Not $HOST: shells set it to the machine's name (zsh), and a wrong value here puts the emulator on the network.
    run_parser.add_argument("--host", default="127.0.0.1", help="address both ports listen on (default: 127.0.0.1)")
    run_parser.add_argument("--allow-network", action="store_true",
                            help="let --host be an address other machines reach (the emulator has no authentication)")
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
        help="make AWS calls of the functions fail as AWS does, e.g. rate=0.05,seed=7 (docs/local-stack.md: Faults); "
             "default: $FAULTS",
    )
    state_help = "folder the emulator keeps its state in (default: $LOCAL_STATE_DIR, else .local-state; empty: memory only)"
    for command in (run_parser, reset_parser := commands.add_parser("reset", help="empty the state folder")):
        command.add_argument("--state-dir", default=os.environ.get("LOCAL_STATE_DIR", str(DEFAULT_STATE_DIR)), help=state_help)
    run_parser.add_argument("--fresh", action="store_true", default=os.environ.get("FRESH", "") not in ("", "0"),
                            help="start with an empty state (the folder is emptied first); default: $FRESH")
    run_parser.add_argument("--console-port", type=int, default=int(os.environ.get("CONSOLE_PORT", "3001")),
                            help="the browser console's port (docs/console.md); default: $CONSOLE_PORT or 3001")
    run_parser.add_argument("--logs", choices=["file", "terminal"], default=os.environ.get("LOGS", "file"),
                            help="the functions' JSON logs: to the log file only, or also here; default: $LOGS or file")
    run_parser.add_argument("--log-file", default=os.environ.get("LOG_FILE", ""),
                            help="where the functions' logs go; default: $LOG_FILE or .run/functions-<port>.log")
    run_parser.set_defaults(action=run)
    reset_parser.set_defaults(action=reset)
    invoke_parser = commands.add_parser("invoke", help="run one function of template.yaml on one event (like sam local invoke)")
    invoke_parser.add_argument("function", help="logical id in template.yaml, e.g. ApiFunction")
    invoke_parser.add_argument("event", help="event file, e.g. events/api/stop.json, or - for stdin")
    invoke_parser.add_argument("--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", "5000")),
                               help="the running stack's emulator port (default: $EMULATOR_PORT or 5000; $AWS_ENDPOINT_URL wins)")
    invoke_parser.set_defaults(action=invoke)
    args = parser.parse_args()
    return int(args.action(args))


if __name__ == "__main__":
    sys.exit(main())
