"""The console's pages under `/_mlops/console/...`, rendered with jinja2; htmx (vendored in static/) refreshes the
running parts in place.

Read-only by default: the one action, Approve/Reject of a model version, is offered only when the stack was
started with MLOPS_CONSOLE_ACTIONS=on in its environment. It calls UpdateModelPackage as the role the form
names (the registry's approver role by default), so the stack's IAM decides, and a denial is shown as AWS
words it.
"""

from __future__ import annotations

import os
from importlib import resources

from botocore.exceptions import ClientError
from werkzeug import Request, Response

from localaws import rendering
from localaws.middleware import on_reset, route
from pipelines.config import APPROVAL_STATUSES

from . import reader
from .charts import bar_chart
from .reader import Place, Stack, error_text, feature_label, s3_folder

PREFIX = "console"
ACTIONS_VARIABLE = "MLOPS_CONSOLE_ACTIONS"
STATIC = {"htmx.min.js": "text/javascript"}

_environment = rendering.environment(resources.files(__package__).joinpath("templates"))
_environment.globals.update(bar_chart=bar_chart, feature_label=feature_label, s3_folder=s3_folder,
                            prefix=f"/_mlops/{PREFIX}")


def actions_enabled() -> bool:
    return os.environ.get(ACTIONS_VARIABLE, "").lower() == "on"


def _page(template: str, status: int = 200, **values) -> Response:
    return Response(_environment.get_template(template).render(**values), status=status, mimetype="text/html")


def _stack(request: Request) -> Stack:
    return Stack(request.host_url)


def _place(request: Request) -> Place:
    return reader.find_place(request.args.get("account", ""), request.args.get("region", ""))


def _not_found(message: str) -> Response:
    return _page("error.html.j2", 404, title="Not found", message=message)


def _in_place(request: Request, read, template: str, **values) -> Response:
    """`template` rendered with `found=read(stack, place)` for the request's account and region, or a 404 page
    saying why it cannot be read."""
    try:
        place = _place(request)
        found = read(_stack(request), place)
    except (LookupError, ClientError) as error:
        return _not_found(error_text(error))
    return _page(template, place=place, found=found, **values)


@on_reset
def _forget() -> None:
    reader.forget_sessions()


@route(PREFIX)
def home(request: Request) -> Response:
    stack = _stack(request)
    return _page("home.html.j2", title="Pipelines", places=[(place, stack.pipelines(place))
                                                             for place in reader.places()])


@route(f"{PREFIX}/executions")
def executions_fragment(request: Request) -> Response:
    """The executions table alone (htmx refreshes it on the home page)."""
    stack = _stack(request)
    return _page("executions.html.j2", places=[(place, stack.pipelines(place)) for place in reader.places()])


@route(f"{PREFIX}/execution")
def execution(request: Request) -> Response:
    return _in_place(request, lambda stack, place: stack.execution(place, request.args.get("arn", "")),
                     "execution.html.j2", title=f"Execution {request.args.get('arn', '').rsplit('/', 1)[-1]}")


@route(f"{PREFIX}/execution/graph")
def execution_graph(request: Request) -> Response:
    """The graph and the steps table of one execution (htmx polls it until the execution ends)."""
    return _in_place(request, lambda stack, place: stack.execution(place, request.args.get("arn", "")),
                     "execution_live.html.j2")


@route(f"{PREFIX}/registry")
def registry(request: Request) -> Response:
    return _registry_page(_stack(request))


def _registry_page(stack: Stack, status: int = 200, outcome: dict | None = None) -> Response:
    return _page("registry.html.j2", status, title="Model registry", registry=stack.registry(),
                 actions=actions_enabled(), outcome=outcome)


@route(f"{PREFIX}/registry/review", methods=("POST",))
def review(request: Request) -> Response:
    stack = _stack(request)
    if not actions_enabled():
        return _registry_page(stack, 403, {"error": f"the console is read-only: start the stack with "
                                                    f"{ACTIONS_VARIABLE}=on to approve or reject versions"})
    package_arn, decision = request.form.get("package_arn", ""), request.form.get("status", "")
    role_arn = request.form.get("role_arn", "").strip() or stack.registry().approver_role_arn
    if decision not in APPROVAL_STATUSES:
        return _registry_page(stack, 400, {"error": f"status must be one of {', '.join(APPROVAL_STATUSES)}, "
                                                    f"got {decision!r}"})
    try:
        now = stack.review(role_arn, package_arn, decision, request.form.get("description", "") or
                           f"{decision} in the console")
    except ClientError as error:
        code = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        return _registry_page(stack, code, {"error": f"{role_arn} could not set {package_arn} to {decision}: "
                                                     f"{error_text(error)}"})
    return _registry_page(stack, outcome={"message": f"{package_arn} is now {now} (as {role_arn})"})


@route(f"{PREFIX}/endpoints")
def endpoints(request: Request) -> Response:
    stack = _stack(request)
    return _page("endpoints.html.j2", title="Endpoints",
                 places=[(place, stack.endpoints(place)) for place in reader.places()])


@route(f"{PREFIX}/events")
def events(request: Request) -> Response:
    stack = _stack(request)
    return _page("events.html.j2", title="Events and notifications",
                 places=[(place, stack.rules(place), stack.notifications(place)) for place in reader.places()],
                 clock=stack.clock())


@route(f"{PREFIX}/s3")
def s3_listing(request: Request) -> Response:
    bucket, prefix = request.args.get("bucket", ""), request.args.get("prefix", "")
    return _in_place(request, lambda stack, place: stack.objects(place, bucket, prefix), "s3.html.j2",
                     title=f"s3://{bucket}/{prefix}", bucket=bucket, key_prefix=prefix)


@route(f"{PREFIX}/logs")
def logs(request: Request) -> Response:
    group, job = request.args.get("group", ""), request.args.get("job", "")
    return _in_place(request, lambda stack, place: stack.log_events(place, group, job), "logs.html.j2",
                     title=f"Log of {job}", group=group, job=job)


def _static(name: str, mimetype: str):
    def serve(request: Request) -> Response:
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return Response(body, mimetype=mimetype, headers={"Cache-Control": "max-age=300"})

    route(f"{PREFIX}/static/{name}")(serve)


for _name, _mimetype in STATIC.items():
    _static(_name, _mimetype)
