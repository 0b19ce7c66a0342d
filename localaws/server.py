"""Entry point of the local AWS stack's server process: moto with the project's extensions.

Run as `python -m localaws.server --port N`; `LocalAwsStack` and `mlops-local up` start it this way. A
non-loopback `--host` needs `--allow-remote`: the stack has no authentication.
With `--exit-with-parent PID` it stops by itself when that process is gone, so a test session killed hard
leaves no server behind. `--state-dir DIR` keeps what must outlive the server: every service's state
(`localaws.persistence`: written after mutating requests, at most once a second, and at exit; loaded at start),
pipeline execution records under DIR/executions, job folders under DIR/jobs (removed when each step ends);
without it the state lives in a temporary folder removed at exit, and nothing is snapshotted. `--no-durable`
keeps the folder but not the services' state (docs/local-stack-state.md).
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from localaws.binding import ALLOW_REMOTE_FLAG, BindError, check_bind_address, parse_port, remote_warning
from pipelines.aws import AUTHORIZATION_MODES, DEFAULT_AUTHORIZATION

PARENT_POLL_SECONDS = 1.0


def _exit_when_gone(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            logging.getLogger(__name__).info("parent process %d is gone: stopping", pid)
            os.kill(os.getpid(), signal.SIGTERM)  # the main thread exits as on SIGTERM: exit handlers run
            return
        except PermissionError:
            pass  # exists, owned by someone else
        time.sleep(PARENT_POLL_SECONDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localaws.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", required=True, help="port to listen on (1-65535)")
    parser.add_argument(ALLOW_REMOTE_FLAG, action="store_true",
                        help="allow a non-loopback --host: the stack has no authentication")
    parser.add_argument("--exit-with-parent", type=int, metavar="PID", help="stop when this process exits")
    parser.add_argument("--state-dir", type=Path, metavar="DIR",
                        help="folder of the state that outlives the server (default: a temporary folder removed "
                             "at exit)")
    parser.add_argument("--no-durable", dest="durable", action="store_false",
                        help="neither load nor write the services' state in STATE_DIR (execution records and the "
                             "authorization trail are still kept there): what the stack holds goes with the server")
    parser.add_argument("--authorization", choices=AUTHORIZATION_MODES, default=DEFAULT_AUTHORIZATION,
                        help="IAM authorization of every AWS call: off, soft (decide and record, never deny) or "
                             "enforce (default); decisions are recorded under STATE_DIR/trail")
    args = parser.parse_args(argv)
    try:
        args.port = parse_port(args.port)
        remote = check_bind_address(args.host, args.allow_remote)
    except BindError as error:
        parser.error(str(error))
    if args.state_dir is not None and args.state_dir.exists() and not args.state_dir.is_dir():
        parser.error(f"--state-dir {args.state_dir} exists and is not a folder: name a folder")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if remote:
        logging.getLogger(__name__).warning("%s", remote_warning(args.host, args.port))
    # moto reads its own port from here when it builds URLs that point back at itself (e.g. S3 presigning).
    os.environ["MOTO_PORT"] = str(args.port)

    # Imported late: moto is heavy and the argument errors above should be instant.
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    from localaws import inprocess
    from localaws.authorization import enforcement, trail
    from localaws.middleware import StackMiddleware, load_services
    from localaws.persistence.layout import StateRefused
    from localaws.persistence.snapshots import DurableState
    from localaws.sagemaker_pipelines import service

    state_dir = args.state_dir
    if state_dir is None:
        state_dir = Path(tempfile.mkdtemp(prefix="mlops-local-state-"))
        atexit.register(shutil.rmtree, state_dir, True)
    state_dir.mkdir(parents=True, exist_ok=True)
    # Only a folder that outlives the server is worth writing to; a refused state changes nothing on disk.
    durable = DurableState(state_dir) if args.state_dir is not None and args.durable else None
    if durable is not None:
        try:
            durable.check()
        except StateRefused as error:
            parser.exit(2, f"{parser.prog}: {error}\n")
    service.configure(state_dir)  # before any request: executions left running by a dead server become Failed

    # moto lists its package folder (a stat per service) on every request to find the backend of a host; the
    # list cannot change while the server runs, and requests from executions inside the server are many.
    moto_modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: moto_modules

    # The management token comes from the tool that started the server (LocalAwsStack), never from a request.
    enforcement.configure(args.authorization, os.environ.pop(enforcement.TOKEN_ENVIRONMENT_VARIABLE, None))
    trail.configure(state_dir)
    load_services()
    app = StackMiddleware(DomainDispatcherApplication(create_backend_app))
    if durable is not None:
        # A body missing from a part written without its list of blobs (an older part) is found only while
        # loading: refused then, with the fix named, as check_state refuses it for newer parts.
        try:
            app = durable.resume(app)
        except StateRefused as error:
            parser.exit(2, f"{parser.prog}: {error}\n")
    app = enforcement.AuthorizationLayer(app)  # outermost: a denied call never reaches a service nor the state
    if durable is not None:
        app = durable.serving(app)  # authorization's reads of the services change no state worth a snapshot
    inprocess.install(app, f"http://{args.host}:{args.port}")
    service.execution_service().announce_interrupted()

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if args.exit_with_parent:
        threading.Thread(target=_exit_when_gone, args=(args.exit_with_parent,), daemon=True).start()
    logging.getLogger(__name__).info("authorization: %s", args.authorization)
    run_simple(args.host, args.port, app, threaded=True, request_handler=_without_nagle(MotoRequestHandler))


def _without_nagle(handler: type) -> type:
    """The request handler with TCP_NODELAY: the server writes a response's headers and body separately, and with
    Nagle's algorithm the body waits for the client's delayed ACK of the headers (up to 40 ms a call)."""

    class NoDelayHandler(handler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    return NoDelayHandler


if __name__ == "__main__":
    main()
