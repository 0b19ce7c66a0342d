"""The stack server's middleware: the services it adds to moto, the `/_mlops/` routes and the reset hooks.

The server entry point (`python -m localaws.server`) calls `load_services()` before it serves anything: every
module of `SERVICE_MODULES` is imported and, if it defines `install()`, that function is called once. Nothing
here runs in the client process.

How to add to a service
-----------------------
1. Put the code in the service's folder (`localaws/<service>/`, the way moto lays out its backends: the AWS
   actions in `responses.py`, state and behaviour in modules of their own) and name the module that installs
   it in `SERVICE_MODULES`.
2. To add or change an AWS action, define `install()` and attach a method to moto's response class, e.g.::

       from moto.sagemaker.responses import SageMakerResponse
       from moto.core.responses import ActionResult

       def install() -> None:
           SageMakerResponse.delete_widget = _delete_widget   # name = the action in snake_case

       def _delete_widget(self) -> ActionResult:
           name = self._get_param("WidgetName")
           ...                                             # state lives on moto's backend objects,
           return ActionResult({})                         # so /moto-api/reset clears it

   moto dispatches `X-Amz-Target: SageMaker.DeleteWidget` to `delete_widget`; the result is serialised with
   botocore's model of that action. Raise moto exceptions (e.g. `moto.sagemaker.exceptions.ValidationError`)
   for AWS-shaped errors.
3. To add an HTTP route (a read-back for tests or the demo, not an AWS API), decorate a function taking a
   `werkzeug.Request` and returning a `werkzeug.Response`; it is served under `/_mlops/<path>`::

       from werkzeug import Request, Response
       from localaws.middleware import json_response, route

       @route("sns/notifications", methods=("GET",))
       def notifications(request: Request) -> Response:
           return json_response({"notifications": [...]})

   Clients read it with `GET {endpoint}/_mlops/sns/notifications`.
4. State kept outside moto's backends must be cleared on reset: decorate a no-argument function with
   `@on_reset`; it runs after moto's own `POST /moto-api/reset`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug import Request, Response

log = logging.getLogger(__name__)

ROUTE_PREFIX = "/_mlops/"
MOTO_RESET_PATH = "/moto-api/reset"

Handler = Callable[[Request], Response]

_routes: dict[str, tuple[frozenset[str], Handler]] = {}
_reset_hooks: list[Callable[[], None]] = []
_restore_hooks: list[Callable[[], None]] = []
_loaded: list[str] = []
# Settings of the running server that its health answer shows (set once at start by the module that owns each).
HEALTH_SETTINGS: dict[str, str] = {}

# Installed in this order: a module may read what an earlier one installed (tuning reads pipeline executions).
SERVICE_MODULES = (
    "localaws.cloudwatch.alarm_actions",
    "localaws.events.responses",
    "localaws.lambda_.functions",
    "localaws.lambda_.runtime",
    "localaws.s3.buckets",
    "localaws.s3.replication",
    "localaws.sagemaker_endpoints.responses",
    "localaws.model_registry.responses",
    "localaws.sagemaker_pipelines.responses",
    "localaws.sagemaker_tags.responses",
    "localaws.tuning.responses",
    "localaws.events.schedules",
    "localaws.console.routes",
    "localaws.authorization.enforcement",
    "localaws.cloudtrail.responses",
    "localaws.iam.responses",
)


def route(path: str, methods: Iterable[str] = ("GET",)) -> Callable[[Handler], Handler]:
    """Register `handler` for `/_mlops/<path>` (exact match) and the given HTTP methods."""
    full_path = ROUTE_PREFIX + path.strip("/")

    def register(handler: Handler) -> Handler:
        if full_path in _routes:
            raise ValueError(f"route {full_path} is registered twice")
        _routes[full_path] = (frozenset(m.upper() for m in methods), handler)
        return handler

    return register


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    """Run `hook` after every moto reset (for extension state kept outside moto's backends)."""
    _reset_hooks.append(hook)
    return hook


def on_restore(hook: Callable[[], None]) -> Callable[[], None]:
    """Run `hook` once the durable state of a stopped server is loaded, before any request (for work a restart
    interrupts: a deployment in progress)."""
    _restore_hooks.append(hook)
    return hook


def restored() -> None:
    """Run the `on_restore` hooks (`localaws.persistence.snapshots`, after loading the state)."""
    for hook in _restore_hooks:
        hook()


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status=status, mimetype="application/json")


def load_services() -> list[str]:
    """Import every module of `SERVICE_MODULES` once and call its `install()`; return their names."""
    if _loaded:
        return list(_loaded)
    for name in SERVICE_MODULES:
        module = importlib.import_module(name)
        install = getattr(module, "install", None)
        if install is not None:
            install()
        _loaded.append(name)
        log.info("loaded local stack service %s", name)
    return list(_loaded)


@route("health")
def health(request: Request) -> Response:
    """Readiness probe of the stack: answers once moto and every service module are loaded, with the settings a
    client needs to know (HEALTH_SETTINGS: e.g. the authorization mode)."""
    return json_response({"status": "ok", "pid": os.getpid(), "services": list(_loaded), **HEALTH_SETTINGS})


class StackMiddleware:
    """WSGI wrapper around moto's app: serves `/_mlops/...` routes and runs reset hooks after moto resets."""

    def __init__(self, moto_app: Callable):
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(ROUTE_PREFIX):
            return self._serve_route(path, environ, start_response)
        if path == MOTO_RESET_PATH and environ.get("REQUEST_METHOD") == "POST":
            # Materialise moto's answer first so the hooks run after its reset, not after the first byte.
            captured: dict[str, Any] = {}

            def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
                captured.update(status=status, headers=headers)
                return lambda data: None

            body = b"".join(self.moto_app(environ, capture))
            for hook in _reset_hooks:
                hook()
            start_response(captured["status"], captured["headers"])
            return [body]
        return self.moto_app(environ, start_response)

    @staticmethod
    def _serve_route(path: str, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        entry = _routes.get(path.rstrip("/"))
        if entry is None:
            response = json_response({"error": f"no local stack route {path}", "routes": sorted(_routes)}, 404)
        elif request.method not in entry[0]:
            response = json_response({"error": f"{request.method} not allowed on {path}"}, 405)
        else:
            response = entry[1](request)
        return response(environ, start_response)
