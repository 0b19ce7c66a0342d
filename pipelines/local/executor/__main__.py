"""Read back local executions: `python -m pipelines.local.executor {list,describe,steps}`.

The executor records every execution under `.local/executions/` (MLOPS_LOCAL_DIR); this prints them in the
shapes of ListPipelineExecutions (summaries), DescribePipelineExecution and ListPipelineExecutionSteps.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipelines.cli_support import configure_logging, run_cli
from pipelines.local.executor.store import ExecutionStore

PROG = "python -m pipelines.local.executor"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--store", type=Path, help="execution records folder (default: <mlops-local dir>/executions)")
    commands = p.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="executions, newest first")
    listing.add_argument("--pipeline", help="only this pipeline's executions")
    for name, text in (("describe", "one execution (DescribePipelineExecution)"),
                       ("steps", "its steps (ListPipelineExecutionSteps), newest first")):
        command = commands.add_parser(name, help=text)
        command.add_argument("execution", help="execution ARN or id")
    return p


def show(args: argparse.Namespace) -> int:
    store = ExecutionStore(args.store)
    if args.command == "list":
        descriptions = [record.to_description() for record in store.list(args.pipeline)]
        summaries = [{key: description[key] for key in ("PipelineExecutionArn", "PipelineExecutionStatus",
                                                        "PipelineExecutionDisplayName")}
                     | {"StartTime": description["CreationTime"]} for description in descriptions]
        document = {"PipelineExecutionSummaries": summaries}
    elif args.command == "describe":
        document = store.describe(args.execution)
    else:
        document = store.list_steps(args.execution)
    print(json.dumps(document, indent=2, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    return run_cli(lambda: show(args), PROG)


if __name__ == "__main__":
    raise SystemExit(main())
