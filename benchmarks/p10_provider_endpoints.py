"""P10: the CPU a `terraform plan` of an applied account costs when the AWS provider reaches the local stack
through AWS_ENDPOINT_URL (what the runner does) against an `endpoints` block naming every service the roots use
in the emulator override (what it did before), side by side in one run.

The AWS provider validates its whole configuration in every provider process that terraform configures (a plan
configures two per account: the default provider and the second region's; an apply four). With an `endpoints`
block that validation costs about 1.8 CPU-seconds per process; without one, a tenth of a second.

dev is bootstrapped and applied once on a local stack of this benchmark's own; then each round plans it once
with each override, in turn, through the runner (no changes, every resource refreshed). Each plan's CPU is the
user + system time of terraform and the provider processes it started (the children's rusage). The ratio is
taken within a round and the median over the rounds printed, so that other load on the machine distorts it
less. The figures are printed, never asserted.

Run: .venv/bin/python benchmarks/p10_provider_endpoints.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pipelines.aws import Target, local_environment_variables  # noqa: E402
from pipelines.infra import terraform  # noqa: E402
from pipelines.infra.terraform import TerraformRunner, runner_for  # noqa: E402
from pipelines.local.stack import LocalAwsStack  # noqa: E402

# The services the roots call: the block the override used to carry, one line per service.
SERVICES = ("applicationautoscaling", "cloudwatch", "dynamodb", "ecr", "events", "iam", "kms", "lambda", "logs",
            "s3", "s3control", "sagemaker", "scheduler", "sns", "sqs", "ssm", "sts")
ENVIRONMENT_ONLY = terraform.emulator_override_text


def override_with_endpoints_block(endpoint: str, aliases: tuple[str, ...] = ()) -> str:
    """The runner's override with an `endpoints` block added to each provider configuration."""
    width = max(map(len, SERVICES))
    block = "  endpoints {\n" + "".join(f'    {name:<{width}} = "{endpoint}"\n' for name in SERVICES) + "  }\n"
    return ENVIRONMENT_ONLY(endpoint, aliases).replace(f"  max_retries             = {terraform.LOCAL_MAX_RETRIES}\n",
                                                       f"  max_retries             = {terraform.LOCAL_MAX_RETRIES}\n"
                                                       + block)


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured_plan(runner: TerraformRunner, override) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one plan with `override` written into the working copy."""
    terraform.emulator_override_text = override
    cpu, wall = children_cpu_seconds(), time.monotonic()
    runner.plan()
    return children_cpu_seconds() - cpu, time.monotonic() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of one plan per override (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="p10-terraform-") as folder, \
            LocalAwsStack(log_path=Path(folder) / "server.log") as stack:
        variables, removed = local_environment_variables(stack.endpoint)
        for name in removed:
            os.environ.pop(name, None)
        os.environ.update(variables)
        os.environ["MLOPS_LOCAL_DIR"] = str(Path(folder) / "local")
        runner = runner_for("dev", Target.local_stack(stack.endpoint), work_dir=Path(folder) / "dev")
        print("applying dev on a local stack of its own (about a minute: the provider's S3 waits) ...", flush=True)
        runner.bootstrap_and_apply()
        runner.plan()  # warm: the first plan after an apply reads the provider binary from disk
        ratios, block_cpu, environment_cpu = [], [], []
        for round_number in range(1, args.repeat + 1):
            block, _ = measured_plan(runner, override_with_endpoints_block)
            environment, _ = measured_plan(runner, ENVIRONMENT_ONLY)
            block_cpu.append(block)
            environment_cpu.append(environment)
            ratios.append(environment / block)
            print(f"round {round_number}: endpoints block {block:.1f} s CPU, AWS_ENDPOINT_URL {environment:.1f} s CPU, "
                  f"ratio {environment / block:.2f}", flush=True)
        print(f"plan of dev: AWS_ENDPOINT_URL / endpoints block CPU = {statistics.median(ratios):.2f} "
              f"(median of {args.repeat} rounds; medians {statistics.median(environment_cpu):.1f} s vs "
              f"{statistics.median(block_cpu):.1f} s)")


if __name__ == "__main__":
    main()
