"""`mlops-local up|down|status|env|clock|ack`: start, stop and inspect the local AWS stack by hand.

`up` starts the server detached and records {"endpoint", "pid"} in `.local/stack.json` (MLOPS_LOCAL_DIR
overrides `.local`); commands given `--local` find it there. `up` and `down` hold `.local/stack.lock` while
they run, so two concurrent `up`s start one server; `down` (and `up` replacing a stale record) also stops
servers it finds by their state folder, so a corrupt or stale `stack.json` leaves no server behind.
The server keeps its state (pipeline execution records) in `.local/state`, so a restarted stack still answers
for the executions of the previous one.
`env` prints shell lines that point a shell's AWS clients at the stack: `eval "$(mlops-local env)"`.
`clock advance DURATION` moves the stack's schedule clock forward and prints the schedule rules that fired.
`db up|down|status`: the SQL warehouse (a real PostgreSQL, data in `.local/warehouse`) the train pipeline
can read; `up` loads the UCI data and stores the connection in each workload account's warehouse secret.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys

from localaws.tools import ack, warehouse
from localaws.tools import state as state_tools
from localaws.tools.stack import (
    LocalAwsStack,
    advance_clock,
    default_state_dir,
    find_stack_servers,
    is_healthy,
    is_stack_server,
    stack_lock,
    stop_process,
    write_state,
)
from pipelines.aws import Target, local_dir, local_environment_variables, read_stack_state, stack_state_file
from pipelines.cli_support import configure_logging, run_cli
from pipelines.config import REPO_ROOT
from pipelines.errors import EXIT_LOCAL_STACK_UNAVAILABLE, LocalStackError

PROG = "mlops-local"


def up(host: str, port: int) -> int:
    # One `up` or `down` at a time: two concurrent `up`s start one server, the second finds it running.
    with stack_lock():
        return _up(host, port)


def _up(host: str, port: int) -> int:
    state = _recorded_state()
    if state is not None and is_healthy(state["endpoint"]):
        print(f"local AWS stack already running at {state['endpoint']} (pid {state['pid']})")
        return 0
    attached = state_tools.running_server()  # found by its state folder: never replaced by an empty one
    if attached is not None:
        write_state(attached.endpoint, attached.pid)
        print(f"local AWS stack already running at {attached.endpoint} (pid {attached.pid}): re-attached")
        return 0
    state_tools.check_loadable()  # a state this stack must not load: refused before anything is stopped or started
    _stop_recorded(state)
    stack = LocalAwsStack(host=host, port=port, log_path=local_dir() / "stack.log", detached=True,
                          state_dir=default_state_dir()).start()
    write_state(stack.endpoint, stack.pid)
    print(f"local AWS stack running at {stack.endpoint} (pid {stack.pid}); log: {stack.log_path}")
    print(f"console: {stack.endpoint}/_mlops/console")
    return 0


def down() -> int:
    with stack_lock():
        stopped = _stop_recorded(_recorded_state())
    if stopped:
        print(f"local AWS stack stopped (pid {', '.join(str(pid) for pid in stopped)})")
    else:
        print("local AWS stack is not running")
    print(f"its state is kept in {default_state_dir()} (`mlops-local up` loads it; `mlops-local reset` starts over)")
    return 0


def _recorded_state() -> dict | None:
    """The record of `up`, or None when there is none or it is corrupt (the servers are then found by scanning)."""
    try:
        return read_stack_state()
    except LocalStackError as error:
        print(f"{PROG}: ignoring {error}", file=sys.stderr)
        return None


def _stop_recorded(state: dict | None) -> list[int]:
    """Stop the recorded server if it is still one, and any other server `up` started with this state folder
    (a corrupt or stale record loses nothing); always forget the record. Returns the pids stopped."""
    pids = set(find_stack_servers(default_state_dir()))
    if state is not None and is_stack_server(state["pid"]):
        pids.add(state["pid"])
    for pid in sorted(pids):
        stop_process(pid)
    stack_state_file().unlink(missing_ok=True)
    return sorted(pids)


def status() -> int:
    state = _recorded_state()
    running = state is not None and is_healthy(state["endpoint"])
    if running:
        print(f"running at {state['endpoint']} (pid {state['pid']})")
    else:
        print("not running" if state is None else f"not answering at {state['endpoint']} (stale {stack_state_file()})")
    for line in state_tools.status_lines():
        print(line)
    return 0 if running else 1


def env() -> int:
    to_set, to_remove = local_environment_variables(Target.running_stack(os.environ).endpoint)
    for name in to_remove:
        print(f"unset {name}")
    for name, value in to_set.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


_DURATION = re.compile(r"^(?P<value>[0-9]+)(?P<unit>[smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(text: str) -> int:
    """'90s', '15m', '1h', '1d' -> seconds (argparse type of `clock advance DURATION`)."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"DURATION must be a whole number and a unit s, m, h or d "
                                         f"(e.g. 90s, 15m, 1h, 1d), got {text!r}")
    return int(match["value"]) * _UNIT_SECONDS[match["unit"]]


def clock_advance(seconds: int) -> int:
    endpoint = Target.running_stack(os.environ).endpoint
    answer = advance_clock(endpoint, seconds)
    fired = answer["fired"]
    print(f"clock advanced by {seconds} s to {answer['now']}: {len(fired)} schedule occurrence(s) fired")
    for firing in fired:
        print(f"{firing['time']} rule {firing['rule']} (account {firing['account']})")
        for delivery in firing["deliveries"]:
            outcome = f"failed: {delivery['error']}" if delivery.get("error") else delivery["detail"]
            print(f"  -> {delivery['kind']} {delivery['target_arn']}: {outcome}")
    return 0


def warehouse_dir():
    return local_dir() / "warehouse"


def db(command: str) -> int:
    if command == "up":
        status = warehouse.db_up(Target.running_stack(os.environ), warehouse_dir(),
                                 REPO_ROOT / "data" / "mammographic_masses.data")
        connection = status.connection
        print(f"warehouse running at {connection.host}:{connection.port}/{connection.dbname} "
              f"(table {warehouse.TABLE}, reader {connection.username}); data: {status.directory}")
        for secret in status.secrets:
            print(f"  connection stored in secret {secret.secret_name} ({secret.environment}, {secret.account_id})")
        return 0
    if command == "down":
        stopped = warehouse.db_down(warehouse_dir())
        print("warehouse stopped" if stopped else "warehouse is not running")
        return 0
    status = warehouse.db_status(warehouse_dir())
    if status.running:
        connection = status.connection
        print(f"running at {connection.host}:{connection.port}/{connection.dbname}; data: {status.directory}")
        return 0
    print(f"not running (data: {status.directory})")
    return EXIT_LOCAL_STACK_UNAVAILABLE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the stack in the background (idempotent)")
    up_parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    up_parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    commands.add_parser("down", help="stop the stack started by `up` (idempotent)")
    commands.add_parser("status", help="exit 0 and print the endpoint when running, else exit 1")
    commands.add_parser("env", help="print shell lines that activate local mode for the running stack")
    clock_parser = commands.add_parser("clock", help="the stack's schedule clock")
    clock_commands = clock_parser.add_subparsers(dest="clock_command", required=True)
    advance_parser = clock_commands.add_parser(
        "advance", help="move the clock forward; every schedule rule due in between fires, once per occurrence")
    advance_parser.add_argument("duration", metavar="DURATION", type=duration_seconds,
                                help="how far: a whole number and s, m, h or d (e.g. 90s, 15m, 1h, 1d)")
    db_parser = commands.add_parser("db", help="the local SQL warehouse (PostgreSQL) the train pipeline can read")
    db_parser.add_argument("db_command", choices=("up", "down", "status"), metavar="up|down|status",
                           help="up: start, load the data, store the secret (idempotent); down: stop; "
                                f"status: exit 0 when running, else {EXIT_LOCAL_STACK_UNAVAILABLE}")
    ack.add_parser(commands)
    state_tools.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    commands = {
        "up": lambda: up(args.host, args.port),
        "down": down,
        "status": status,
        "env": env,
        "clock": lambda: clock_advance(args.duration),
        "ack": lambda: ack.run(args, os.environ),
        "db": lambda: db(args.db_command),
        "reset": lambda: state_tools.run(args, state_tools.ask_on_terminal),
        "snapshot": lambda: state_tools.run(args, state_tools.ask_on_terminal),
    }
    return run_cli(commands[args.command], PROG)


if __name__ == "__main__":
    sys.exit(main())

