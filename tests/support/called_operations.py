"""The AWS operations the demo and the test suite call against the local stack, read from stacks' trails
(`<state dir>/trail/<account>.jsonl`, one CloudTrail-shaped event per decision: eventSource + eventName), and the
committed list of them that tests/authorization/test_called_operations.py holds to the authorization mapping.

Also a pytest plugin (tests/conftest.py loads it): `--record-operations DIR` keeps the trail of every stack the
session starts and writes the operations they saw to DIR/operations-<worker>.json at the end.

To regenerate the list (what REGENERATE says), from the repository root:

    export MLOPS_LOCAL_DIR=$(mktemp -d) && mlops-local up          # prints the stack's URL
    mlops-demo --endpoint URL && mlops-local down
    pytest -n 2 --record-operations /tmp/ops tests/authorization tests/local_stack tests/events ...
    PYTHONPATH=tests python -m support.called_operations $MLOPS_LOCAL_DIR /tmp/ops

It writes the union of what it reads: the operations of every trail file and operations-*.json under the
folders given. It fails, listing them, when a trail holds a call the stack could not map.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import botocore.session
import pytest

from localaws.authorization import operations, trail

LIST_PATH = Path(__file__).resolve().parents[1] / "authorization" / "called_operations.json"
REGENERATE = (f"regenerate {LIST_PATH.relative_to(LIST_PATH.parents[2])} as the docstring of "
              f"tests/support/called_operations.py says")
_RECORDED = "operations-{worker}.json"


def operation_of(event: dict) -> str | None:
    """`service:Operation` (botocore's service name) of a trail event; None for an event that is no API call of a
    service model: what a service does as a role with no call of its own (S3 replication), or a request the stack
    could not identify (unmapped_calls names those)."""
    prefix = event.get("eventSource", "").removesuffix(".amazonaws.com")
    name = event.get("eventName", "")
    for service in _services_of(prefix):
        if name in operations.service_model(service).operation_names:
            return f"{service}:{name}"
    return None


@functools.cache
def _services_of(prefix: str) -> tuple[str, ...]:
    """botocore's services whose IAM prefix (CloudTrail's eventSource) is `prefix`: sagemaker is sagemaker's and
    sagemaker-runtime's."""
    return tuple(service for service in botocore.session.get_session().get_available_services()
                 if operations.iam_prefix(service) == prefix)


def unmapped_calls(events: Iterable[dict]) -> list[str]:
    """What the stack said it could not authorize (denied, or for an administrator allowed), one line each."""
    return sorted({f"{e.get('eventSource')} {e.get('eventName')}: {e['additionalEventData']['unmapped']}"
                   for e in events if (e.get("additionalEventData") or {}).get("unmapped")})


def trail_events(folder: Path) -> Iterator[dict]:
    """Every event of every trail file under `folder`."""
    for path in sorted(Path(folder).rglob(f"{trail.FOLDER}/*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                yield json.loads(line)


def called(events: Iterable[dict]) -> set[str]:
    return {name for event in events if (name := operation_of(event)) is not None}


def trail_problems(folder: Path) -> list[str]:
    """What the trails under `folder` say is wrong with the committed list: a call the stack could not map, an
    operation missing from the list (with how to regenerate it). Empty when none."""
    events = list(trail_events(folder))
    problems = [f"the stack could not authorize: {line}" for line in unmapped_calls(events)]
    missing = sorted(called(events) - set(load()))
    if missing:
        problems.append(f"{len(missing)} operation(s) called but not in {LIST_PATH.name}: {', '.join(missing)}; "
                        f"{REGENERATE}")
    return problems


def load() -> list[str]:
    return json.loads(LIST_PATH.read_text())["operations"]


def write(names: Iterable[str], path: Path = LIST_PATH) -> None:
    path.write_text(json.dumps({
        "about": "Every AWS operation (botocore service:operation) the demo and the test suite call against the "
                 "local stack; each must be mapped to IAM actions in localaws/authorization/operations.py. "
                 "Regenerate as the docstring of tests/support/called_operations.py says.",
        "operations": sorted(set(names)),
    }, indent=2) + "\n")


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: PYTHONPATH=tests python -m support.called_operations FOLDER [FOLDER ...] "
              "(stack state dirs, --record-operations dirs)", file=sys.stderr)
        return 2
    names: set[str] = set()
    problems: list[str] = []
    for folder in map(Path, argv):
        events = list(trail_events(folder))
        names |= called(events)
        problems += unmapped_calls(events)
        for recorded in folder.glob(_RECORDED.format(worker="*")):
            saved = json.loads(recorded.read_text())
            names |= set(saved["operations"])
            problems += saved["unmapped"]
    if problems:
        print("the stack could not authorize these calls: map them in localaws/authorization/operations.py",
              *sorted(set(problems)), sep="\n", file=sys.stderr)
        return 1
    write(names)
    print(f"{LIST_PATH}: {len(names)} operations")
    return 0


# ------------------------------------------------------------------------------------------------- the plugin

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-operations", metavar="DIR", type=Path,
                     help="keep the trail of every local stack the session starts and write the AWS operations "
                          "they saw to DIR/operations-<worker>.json (tests/support/called_operations.py)")


def pytest_configure(config: pytest.Config) -> None:
    folder = config.getoption("--record-operations", None)
    if folder is not None:
        config.pluginmanager.register(_Recorder(Path(folder)), "called-operations-recorder")


class _Recorder:
    """Gives every stack started without a state folder one under DIR (with `--no-durable`, which is what a
    stack without one does: the folder then only outlives the server), and reads each stack's trail before a
    reset (which empties it) and when the stack stops."""

    def __init__(self, folder: Path):
        from localaws.tools.stack import LocalAwsStack

        self.folder = folder
        self.names: set[str] = set()
        self.unmapped: set[str] = set()
        self.patch = pytest.MonkeyPatch()
        own = set()  # the state folders this recorder gave: removed once read (jobs' artifacts are large)
        start, stop, reset = LocalAwsStack.start, LocalAwsStack.stop, LocalAwsStack.reset

        def recording_start(stack):
            if stack.state_dir is None:
                stack.state_dir, stack.durable = folder / "stacks" / uuid.uuid4().hex, False
                own.add(stack.state_dir)
            return start(stack)

        def recording_reset(stack):
            self.read(stack)
            reset(stack)

        def recording_stop(stack):
            stop(stack)
            self.read(stack)
            if stack.state_dir in own:
                shutil.rmtree(stack.state_dir, ignore_errors=True)

        self.patch.setattr(LocalAwsStack, "start", recording_start)
        self.patch.setattr(LocalAwsStack, "reset", recording_reset)
        self.patch.setattr(LocalAwsStack, "stop", recording_stop)

    def read(self, stack) -> None:
        if stack.state_dir is not None:
            events = list(trail_events(Path(stack.state_dir)))
            self.names |= called(events)
            self.unmapped |= set(unmapped_calls(events))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.patch.undo()
        self.folder.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (self.folder / _RECORDED.format(worker=worker)).write_text(json.dumps(
            {"operations": sorted(self.names), "unmapped": sorted(self.unmapped)}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
