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
`ack apply|get|delete`: a stand-in for the ACK SageMaker controller, acting on the stack.
`access-report [--json] [--policy ROLE]`: per role, the actions it used, the actions its policies grant that it
never used (read through the running stack's IAM API) and the calls it was denied (the trail in
`.local/state/trail`); with --policy, the smallest policy that allows what ROLE did, ready for Terraform.
`up --host` binds a loopback address unless `--allow-remote` is given: the stack has no authentication.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from localaws.binding import ALLOW_REMOTE_FLAG, check_bind_address, parse_port, remote_warning
from localaws.extra import require_local_extra
from localaws.tools import access_report, ack, warehouse
from localaws.tools import state as state_tools
from localaws.tools.stack import (
    AUTHORIZATION_MODES,
    DEFAULT_AUTHORIZATION,
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
from pipelines.aws import (
    DEFAULT_REGION,
    Target,
    local_dir,
    local_environment_variables,
    read_stack_state,
    stack_state_file,
)
from pipelines.cli.support import configure_logging, environment_name, process_env, run_cli
from pipelines.config import REPO_ROOT, workload_environments
from pipelines.errors import EXIT_LOCAL_STACK_UNAVAILABLE, LocalStackError, UsageError

PROG = "mlops-local"
log = logging.getLogger(PROG)


def up(host: str, port_text: str | None, allow_remote: bool, authorization: str = DEFAULT_AUTHORIZATION,
       durable: bool = True) -> int:
    require_local_extra(PROG)
    # Every check before the lock: a refused address starts nothing and records nothing.
    port = 0 if port_text is None else parse_port(port_text)
    if check_bind_address(host, allow_remote):
        log.warning("%s", remote_warning(host, port or "a free port"))
    # One `up` or `down` at a time: two concurrent `up`s start one server, the second finds it running.
    with stack_lock():
        return _up(host, port, allow_remote, authorization, durable)


def _up(host: str, port: int, allow_remote: bool, authorization: str, durable: bool) -> int:
    state = _recorded_state()
    if state is not None and is_healthy(state["endpoint"]):
        print(f"local AWS stack already running at {state['endpoint']} (pid {state['pid']})")
        return 0
    attached = state_tools.running_server()  # found by its state folder: never replaced by an empty one
    if attached is not None:
        write_state(attached.endpoint, attached.pid, attached.token, attached.authorization)
        print(f"local AWS stack already running at {attached.endpoint} (pid {attached.pid}): re-attached")
        return 0
    if durable:
        state_tools.check_loadable()  # a state it must not load: refused before anything is stopped or started
    _stop_recorded(state)
    stack = LocalAwsStack(host=host, port=port, log_path=local_dir() / "stack.log", detached=True,
                          state_dir=default_state_dir(), allow_remote=allow_remote,
                          authorization=authorization, durable=durable).start()
    write_state(stack.endpoint, stack.pid, stack.token, authorization)
    print(f"local AWS stack running at {stack.endpoint} (pid {stack.pid}; authorization: {authorization}); "
          f"log: {stack.log_path}")
    if not durable:
        print(f"durable state off: the services' state goes with the server (the state in {default_state_dir()} "
              "is neither loaded nor changed)")
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


def print_env(env: Mapping[str, str]) -> int:
    to_set, to_remove = local_environment_variables(Target.running_stack(env).endpoint, env)
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


def clock_advance(seconds: int, env: Mapping[str, str]) -> int:
    endpoint = Target.running_stack(env).endpoint
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


def db(command: str, environments: list[str] | None, env: Mapping[str, str]) -> int:
    if command == "up":
        status = warehouse.db_up(Target.running_stack(env), warehouse_dir(),
                                 REPO_ROOT / "data" / "mammographic_masses.data", environments=environments)
        connection = status.connection
        print(f"warehouse running at {connection.host}:{connection.port}/{connection.dbname} "
              f"(table {warehouse.TABLE}, reader {connection.username}); data: {status.directory}")
        for secret in status.secrets:
            print(f"  connection stored in secret {secret.secret_name} ({secret.environment}, {secret.account_id})")
        for secret in status.not_applied:
            print(f"  not stored: secret {secret.secret_name} does not exist in {secret.environment} "
                  f"({secret.account_id}) yet; after `mlops-infra apply --env {secret.environment} --local`, run "
                  "`mlops-local db up` again")
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


def ack_command(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    # The stack the shell points at (`eval "$(mlops-local env)"`), else the one `mlops-local up` recorded.
    target = Target.from_environment(env)
    if not target.is_local:
        target = Target.running_stack(env)
    controller = ack.controller_for(args.env or workload_environments()[0], target)
    if args.ack_command == "apply":
        changes = controller.apply(args.filename, args.namespace)
    elif args.ack_command == "get":
        kind = ack.kind_of(args.kind) if args.kind else None
        namespace = None if args.all_namespaces else args.namespace
        resources = controller.get(kind, args.name, namespace)
        print(ack.yaml_list(resources) if args.output == "yaml" else ack.table(resources), end="")
        return 0
    elif args.filename:
        changes = controller.delete_files(args.filename, args.namespace)
    elif args.kind and args.name:
        changes = [controller.delete(ack.kind_of(args.kind), args.name, args.namespace or ack.DEFAULT_NAMESPACE)]
    else:
        raise UsageError("ack delete: give KIND NAME or -f FILE|DIR")
    for change in changes:
        print(change)
    return 0


def add_ack_parser(commands) -> None:
    parser = commands.add_parser("ack", help="a stand-in for the ACK SageMaker controller (apply, get, delete)")
    parser.add_argument("--env", type=environment_name, metavar="ENV",
                        help="the workload environment whose account the controller acts in (default: the first "
                             "of the promotion)")
    verbs = parser.add_subparsers(dest="ack_command", required=True)
    apply = verbs.add_parser("apply", help="create/update Pipelines, start PipelineExecutions")
    apply.add_argument("-f", "--filename", type=Path, action="append", required=True, metavar="FILE|DIR")
    apply.add_argument("-n", "--namespace", help="namespace of resources that name none (default: default)")
    get = verbs.add_parser("get", help="show resources and their status (refreshed from AWS)")
    get.add_argument("kind", nargs="?", help="pipeline or pipelineexecution (default: both)")
    get.add_argument("name", nargs="?")
    get.add_argument("-n", "--namespace", default=ack.DEFAULT_NAMESPACE)
    get.add_argument("-A", "--all-namespaces", action="store_true")
    get.add_argument("-o", "--output", choices=("table", "yaml"), default="table")
    delete = verbs.add_parser("delete", help="delete resources: DeletePipeline, StopPipelineExecution")
    delete.add_argument("kind", nargs="?")
    delete.add_argument("name", nargs="?")
    delete.add_argument("-f", "--filename", type=Path, action="append", metavar="FILE|DIR")
    delete.add_argument("-n", "--namespace", default=None)


def add_state_parsers(commands) -> None:
    """`mlops-local reset` and `mlops-local snapshot save|restore NAME`."""
    reset_parser = commands.add_parser("reset", help="start over: set the stack's state aside as a backup (asks "
                                                     "first; the stack must be down)")
    reset_parser.add_argument("--yes", action="store_true", help="do not ask (the backup is still kept)")
    snapshot = commands.add_parser("snapshot", help="keep the stack's state under a name, or return to it")
    verbs = snapshot.add_subparsers(dest="snapshot_command", required=True)
    verbs.add_parser("save", help="copy the current state (the stack may run)").add_argument("name", metavar="NAME")
    restore = verbs.add_parser("restore", help="replace the state with a snapshot (the stack must be down; the "
                                               "replaced state is kept as a backup)")
    restore.add_argument("name", metavar="NAME")
    restore.add_argument("--yes", action="store_true", help="do not ask")


def state_command(args: argparse.Namespace, ask: Callable[[str], bool]) -> int:
    confirm = (lambda question: True) if getattr(args, "yes", False) else ask
    if args.command == "reset":
        backup = state_tools.reset(confirm)
        print(f"local stack state set aside in {backup}" if backup else "there was no state to reset")
    elif args.snapshot_command == "save":
        print(f"snapshot {args.name} saved in {state_tools.save_snapshot(args.name)}")
    else:
        source, backup = state_tools.restore_snapshot(args.name, confirm)
        print(f"state restored from {source}" + (f"; the previous state is kept in {backup}" if backup else ""))
    return 0


def ask_on_terminal(question: str) -> bool:
    """Ask on the terminal; no answer (not a terminal, end of input) is no: scripts pass --yes."""
    print(f"{question} Continue? [y/N] ", end="", flush=True)
    if not sys.stdin.isatty():
        print("(no terminal to answer: pass --yes)")
        return False
    try:
        return input().strip().lower() in ("y", "yes")
    except EOFError:
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the stack in the background (idempotent)")
    # Checked by localaws.binding (not argparse types) so a bad value is one line naming the option, exit 2.
    up_parser.add_argument("--host", default="127.0.0.1",
                           help="address to bind: an IP address or a host name (default: %(default)s); an address "
                                f"beyond this machine needs {ALLOW_REMOTE_FLAG}")
    up_parser.add_argument("--port", metavar="PORT", help="port 1-65535 (default: a free one)")
    up_parser.add_argument(ALLOW_REMOTE_FLAG, action="store_true",
                           help="allow a non-loopback --host: the stack has no authentication, so anyone who can "
                                "reach it can call it")
    up_parser.add_argument("--authorization", choices=AUTHORIZATION_MODES, default=DEFAULT_AUTHORIZATION,
                           help="IAM authorization of every AWS call: off, soft (record would-be denials, allow) "
                                "or enforce (default: %(default)s)")
    up_parser.add_argument("--no-durable", dest="durable", action="store_false",
                           help="keep the services' state in memory only: it goes with the server, and the saved "
                                "state is neither loaded nor changed (docs/local-stack-state.md)")
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
    db_parser.add_argument("--env", action="append", type=environment_name, metavar="ENV", dest="db_environments",
                           help="up: store the connection in this workload environment's secret, which must exist "
                                "(repeatable); default: every environment whose secret Terraform created")
    add_ack_parser(commands)
    add_state_parsers(commands)
    report_parser = commands.add_parser(
        "access-report", help="per role: actions used, granted actions unused and calls denied in the run")
    report_parser.add_argument("--policy", metavar="ROLE",
                               help="print the smallest policy (JSON) allowing every call ROLE (name or ARN) made")
    report_parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def print_access_report(role: str | None, as_json: bool, env: Mapping[str, str]) -> int:
    folder = default_state_dir() / "trail"
    if not folder.is_dir():
        raise UsageError(f"no trail in {folder}: start the stack with `mlops-local up --authorization soft` "
                         "(or enforce) and run something first")
    if role is None:
        access = access_report.report(folder)
        # The grants are read as any client reads them: the running stack's IAM API, as each account's admin.
        target = Target.running_stack(env)
        clients: dict[str, object] = {}

        def iam_for_account(account: str):
            if account not in clients:
                clients[account] = target.session(account, DEFAULT_REGION).client("iam")
            return clients[account]

        access_report.add_grants(access, iam_for_account)
        print(access_report.render_json(access) if as_json else access_report.render(access))
        return 0
    try:
        policy = access_report.least_privilege_policy(folder, role)
    except LookupError as error:
        raise UsageError(f"--policy {role}: {error}; `mlops-local access-report` lists the roles") from None
    print(json.dumps(policy, indent=2))
    return 0


def main(argv: list[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    env = process_env(env)
    commands = {
        "up": lambda: up(args.host, args.port, args.allow_remote, args.authorization, args.durable),
        "down": down,
        "status": status,
        "env": lambda: print_env(env),
        "clock": lambda: clock_advance(args.duration, env),
        "ack": lambda: ack_command(args, env),
        "db": lambda: db(args.db_command, args.db_environments, env),
        "reset": lambda: state_command(args, ask_on_terminal),
        "snapshot": lambda: state_command(args, ask_on_terminal),
        "access-report": lambda: print_access_report(args.policy, args.json, env),
    }
    # Every command but `up` (which starts it) acts on the stack.
    return run_cli(commands[args.command], PROG, local=args.command != "up")


if __name__ == "__main__":
    sys.exit(main())
