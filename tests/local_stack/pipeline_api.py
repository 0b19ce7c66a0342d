"""What the pipeline API tests share: the AWS CLI as a user runs it, quick definitions, waiting for statuses.

The definitions use the scikit-learn processing image with a small script (`SCRIPT`): the stack runs it with
its own Python, as it runs the project's processing scripts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent
from typing import Any

import boto3
from support.roles import account_trust_policy, allow, bucket_arn, create_role, trust_policy

from pipelines.aws import session_for_account

ACCOUNT = "123456789012"  # the account of the stack's fake keys (the CLI's and boto3's default)
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-execution"
BUCKET = "pipeline-api-tests"
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
AWS_CLI = Path(sys.executable).with_name("aws")

# Writes a marker (or fails, or sleeps first) as the definition asks.
SCRIPT = dedent("""
    import argparse, pathlib, sys, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--sleep", type=float, default=0)
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--input-dir")
    args = parser.parse_args()
    time.sleep(args.sleep)
    if args.fail:
        print("ValueError: asked to fail", file=sys.stderr)
        sys.exit(2)
    marker = "read " + ",".join(sorted(p.name for p in pathlib.Path(args.input_dir).iterdir())) \\
        if args.input_dir else "done"
    pathlib.Path(args.output_dir, "marker.txt").write_text(marker)
""")


class AwsCli:
    """`aws <service> <command> ...` against the stack, output parsed; credentials from the environment."""

    def __init__(self, endpoint: str, credentials: Mapping[str, str] | None = None):
        self.endpoint, self.credentials = endpoint, dict(credentials or {})

    def __call__(self, *arguments: str, check: bool = True) -> Any:
        completed = self.run(*arguments)
        if check and completed.returncode != 0:
            raise AssertionError(f"aws {' '.join(arguments)} exited {completed.returncode}: {completed.stderr}")
        return json.loads(completed.stdout) if completed.stdout.strip() else None

    def run(self, *arguments: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.credentials, "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}
        return subprocess.run([str(AWS_CLI), "--endpoint-url", self.endpoint, "--output", "json", *arguments],
                              env=env, capture_output=True, text=True, timeout=120, check=False)

    def as_account(self, account_id: str, statements: list[dict]) -> AwsCli:
        """The CLI with credentials of a role assumed in `account_id` (as a user switching accounts), the role
        created there with `statements` and trusting this CLI's account."""
        iam = session_for_account(account_id, REGION).client("iam", endpoint_url=self.endpoint)
        role = create_role(iam, "test-operator", account_trust_policy(ACCOUNT), statements)
        credentials = self("sts", "assume-role", "--role-arn", role,
                           "--role-session-name", "pipeline-api-tests")["Credentials"]
        return AwsCli(self.endpoint, {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                                      "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                                      "AWS_SESSION_TOKEN": credentials["SessionToken"]})


def client(endpoint: str, service: str = "sagemaker"):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION)


def put_script(endpoint: str) -> str:
    """The bucket with SCRIPT, and ROLE, which the steps act as: it reads the bucket and writes the outputs."""
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="code/step.py", Body=SCRIPT.encode())
    create_role(client(endpoint, "iam"), ROLE.rsplit("/", 1)[1], trust_policy("sagemaker.amazonaws.com"), [
        allow("s3:ListBucket", bucket_arn(BUCKET)),
        allow("s3:GetObject", f"{bucket_arn(BUCKET)}/*"),
        allow("s3:PutObject", f"{bucket_arn(BUCKET)}/out/*"),
    ])
    return f"s3://{BUCKET}/code/"


def processing_step(name: str, *arguments: str, depends_on: list[str] | None = None,
                    inputs: Mapping[str, Any] | None = None) -> dict:
    """A Processing step as the SageMaker SDK writes it for an SKLearnProcessor running SCRIPT."""
    processing_inputs = [{"InputName": "code", "S3Input": {
        "S3Uri": f"s3://{BUCKET}/code/", "LocalPath": "/opt/ml/processing/input/code", "S3DataType": "S3Prefix",
        "S3InputMode": "File"}}]
    processing_inputs += [{"InputName": input_name, "S3Input": {
        "S3Uri": uri, "LocalPath": f"/opt/ml/processing/{input_name}", "S3DataType": "S3Prefix",
        "S3InputMode": "File"}} for input_name, uri in (inputs or {}).items()]
    step = {"Name": name, "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN_IMAGE,
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/step.py"],
                             "ContainerArguments": ["--output-dir", "/opt/ml/processing/output", *arguments]},
        "RoleArn": ROLE,
        "ProcessingInputs": processing_inputs,
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "output", "S3Output": {
            "S3Uri": {"Std:Join": {"On": "/", "Values": [
                f"s3://{BUCKET}/out", {"Get": "Execution.PipelineExecutionId"}, name]}},
            "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
    }}
    if depends_on:
        step["DependsOn"] = depends_on
    return step


def definition(*steps: dict, parameters: list | None = None) -> str:
    return json.dumps({"Version": "2020-12-01", "Parameters": parameters or [], "Steps": list(steps)})


def gated_definition() -> str:
    """Prepare -> Gate (Threshold > 0.5?) -> Publish, else Reject (a Fail step)."""
    gate = {"Name": "Gate", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "GreaterThan", "LeftValue": {"Get": "Parameters.Threshold"}, "RightValue": 0.5}],
        "IfSteps": [processing_step("Publish", depends_on=["Prepare"])],
        "ElseSteps": [{"Name": "Reject", "Type": "Fail",
                       "Arguments": {"ErrorMessage": "threshold too low"}}]}, "DependsOn": ["Prepare"]}
    return definition(processing_step("Prepare"), gate,
                      parameters=[{"Name": "Threshold", "Type": "Float", "DefaultValue": 0.9}])


def output_marker(endpoint: str, execution_arn: str, step: str) -> str:
    key = f"out/{execution_arn.rsplit('/', 1)[1]}/{step}/marker.txt"
    return client(endpoint, "s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def processes_mentioning(text: str) -> list[int]:
    """Processes of this machine whose command line contains `text` (a step's script, by its arguments)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:  # the process ended while we looked
            continue
    return [pid for pid in found if pid != os.getpid()]


def step_statuses(sagemaker, execution_arn: str) -> dict[str, str]:
    steps = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn, SortOrder="Ascending")
    return {step["StepName"]: step["StepStatus"] for step in steps["PipelineExecutionSteps"]}
