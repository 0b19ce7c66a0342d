"""`mlops-local up|down|status|env|ack`: start, stop and inspect the local AWS stack by hand.

`up` starts the server detached and records {"endpoint", "pid"} in `.local/stack.json` (MLOPS_LOCAL_DIR
overrides `.local`); commands given `--local` find it there. `env` prints shell lines that put a shell in
local mode: `eval "$(mlops-local env)"`.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from pipelines.cli_support import configure_logging, run_cli
from pipelines.local import ack
from pipelines.local.stack import (
    LocalAwsStack,
    is_healthy,
    is_stack_server,
    local_dir,
    local_environment_variables,
    read_state,
    running_endpoint,
    state_file,
    stop_process,
    write_state,
)

PROG = "mlops-local"


def up(host: str, port: int) -> int:
    state = read_state()
    if state is not None and is_healthy(state["endpoint"]):
        print(f"local AWS stack already running at {state['endpoint']} (pid {state['pid']})")
        return 0
    if state is not None:
        _stop_recorded(state)
    stack = LocalAwsStack(host=host, port=port, log_path=local_dir() / "stack.log", detached=True).start()
    write_state(stack.endpoint, stack.pid)
    print(f"local AWS stack running at {stack.endpoint} (pid {stack.pid}); log: {stack.log_path}")
    return 0


def down() -> int:
    state = read_state()
    if state is None:
        print("local AWS stack is not running")
        return 0
    stopped = _stop_recorded(state)
    print(f"local AWS stack stopped (pid {state['pid']})" if stopped else "local AWS stack was not running")
    return 0


def _stop_recorded(state: dict) -> bool:
    """Stop the recorded server if it is still ours; always forget the state file."""
    stopped = False
    if is_stack_server(state["pid"]):
        stop_process(state["pid"])
        stopped = True
    state_file().unlink(missing_ok=True)
    return stopped


def status() -> int:
    state = read_state()
    if state is not None and is_healthy(state["endpoint"]):
        print(f"running at {state['endpoint']} (pid {state['pid']})")
        return 0
    print("not running" if state is None else f"not answering at {state['endpoint']} (stale {state_file()})")
    return 1


def env() -> int:
    to_set, to_remove = local_environment_variables(running_endpoint())
    for name in to_remove:
        print(f"unset {name}")
    for name, value in to_set.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


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
    ack.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    commands = {
        "up": lambda: up(args.host, args.port),
        "down": down,
        "status": status,
        "env": env,
        "ack": lambda: ack.run(args),
    }
    return run_cli(commands[args.command], PROG)


if __name__ == "__main__":
    sys.exit(main())

