"""The CPU a `terraform plan` of an applied account costs when the AWS provider reaches the local stack
through AWS_ENDPOINT_URL (what the runner does) against an `endpoints` block naming every service the roots use
in the emulator override (what it did before), side by side in one run.

The AWS provider validates its whole configuration in every provider process that terraform configures (a plan
configures two per account: the default provider and the second region's; an apply four). With an `endpoints`
block that validation costs about 1.8 CPU-seconds per process; without one, the whole process takes under half
a CPU-second.

Each round plans an applied dev once with each override (benchmarks/support/terraform_plans.py says how); the
median of the per-round ratios is printed against its goal (<= 0.8: the environment variable must save
the endpoints block's validation), never asserted.

Run (repository root): .venv/bin/python -m benchmarks.provider_endpoints [--repeat 3]
"""

from __future__ import annotations

import argparse

from benchmarks.support import Goal, ratio_line
from benchmarks.support.terraform_plans import Variant, plan_rounds
from pipelines.infra import terraform

# The services the roots call: the block the override used to carry, one line per service.
SERVICES = ("applicationautoscaling", "cloudwatch", "dynamodb", "ecr", "events", "iam", "kms", "lambda", "logs",
            "s3", "s3control", "sagemaker", "scheduler", "sns", "sqs", "ssm", "sts")
ENVIRONMENT_ONLY = terraform.emulator_override_text
GOAL = Goal(0.8)


def override_with_endpoints_block(endpoint: str, aliases: tuple[str, ...] = ()) -> str:
    """The runner's override with an `endpoints` block added to each provider configuration."""
    width = max(map(len, SERVICES))
    block = "  endpoints {\n" + "".join(f'    {name:<{width}} = "{endpoint}"\n' for name in SERVICES) + "  }\n"
    retries = f"  max_retries             = {terraform.LOCAL_MAX_RETRIES}\n"
    return ENVIRONMENT_ONLY(endpoint, aliases).replace(retries, retries + block)


def override(label: str, text) -> Variant:
    return Variant(label, lambda: setattr(terraform, "emulator_override_text", text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of one plan per override (default 3)")
    args = parser.parse_args()
    rounds = plan_rounds(override("endpoints block", override_with_endpoints_block),
                         override("AWS_ENDPOINT_URL", ENVIRONMENT_ONLY), args.repeat, prefix="provider-endpoints-")
    print(f"plan of dev: AWS_ENDPOINT_URL / endpoints block CPU = {rounds.summary()}")
    print(ratio_line("plan CPU, AWS_ENDPOINT_URL / endpoints block", rounds.ratio, GOAL))


if __name__ == "__main__":
    main()
