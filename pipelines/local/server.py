"""Entry point of the local AWS stack's server process: moto with the project's extensions.

Run as `python -m pipelines.local.server --port N`; `LocalAwsStack` and `mlops-local up` start it this way.
With `--exit-with-parent PID` it stops by itself when that process is gone, so a test session killed hard
leaves no server behind.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time

PARENT_POLL_SECONDS = 1.0


def _exit_when_gone(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            logging.getLogger(__name__).info("parent process %d is gone: stopping", pid)
            os._exit(0)
        except PermissionError:
            pass  # exists, owned by someone else
        time.sleep(PARENT_POLL_SECONDS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.local.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument("--exit-with-parent", type=int, metavar="PID", help="stop when this process exits")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # moto reads its own port from here when it builds URLs that point back at itself (e.g. S3 presigning).
    os.environ["MOTO_PORT"] = str(args.port)

    # Imported late: moto is heavy and the argument errors above should be instant.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    from pipelines.local.extensions import ExtensionMiddleware, load_extensions

    load_extensions()
    app = ExtensionMiddleware(DomainDispatcherApplication(create_backend_app))

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if args.exit_with_parent:
        threading.Thread(target=_exit_when_gone, args=(args.exit_with_parent,), daemon=True).start()
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
