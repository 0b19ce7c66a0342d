"""Real-time endpoints on the local stack: real XGBoost models trained on the UCI data, real boto3 clients.

Two models are trained once per session on the prepared training split of data/mammographic_masses.data
(v1: 10 rounds of depth 2, v2: 40 rounds of depth 4, so their scores differ) and written as the built-in
algorithm writes model.tar.gz. The `hosting` fixture uploads them to the central registry account's artifacts
bucket; models, configurations and endpoints are created in the dev account, which reads them cross-account.
Waiting is done by advancing the stack's clock, never by sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import xgboost as xgb
from support import xgboost_model_archive

from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS
from localaws.tools.stack import advance_clock
from pipelines.aws import session_for_account
from pipelines.config import FEATURES, REPO_ROOT
from pipelines.data.prepare import split
from pipelines.data.raw import LABEL, read_raw

REGION = "us-east-1"
REGISTRY, DEV = "111111111111", "222222222222"
ARTIFACTS_BUCKET = f"endpoint-tests-artifacts-{REGISTRY}"
CAPTURE_BUCKET = f"endpoint-tests-capture-{DEV}"
XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = f"arn:aws:iam::{DEV}:role/mammo-sagemaker-execution"
SETTINGS = {"v1": ({"max_depth": 2, "eta": 0.3}, 10), "v2": ({"max_depth": 4, "eta": 0.2}, 40)}


@dataclass(frozen=True)
class Mammo:
    rows: np.ndarray  # the held-out batch: complete records, features only (float32)
    boosters: dict[str, xgb.Booster]
    archives: dict[str, bytes]

    def csv(self, rows: np.ndarray | None = None) -> bytes:
        rows = self.rows if rows is None else rows
        return ("\n".join(",".join(f"{value:g}" for value in row) for row in rows) + "\n").encode()

    def scores(self, version: str, rows: np.ndarray | None = None) -> np.ndarray:
        return self.boosters[version].predict(xgb.DMatrix(self.rows if rows is None else rows))


@pytest.fixture(scope="session")
def mammo() -> Mammo:
    part1, part2, batch = split(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"))
    train = part1 + part2

    def matrix(records) -> np.ndarray:
        return np.array([[np.nan if r.values[name] is None else r.values[name] for name in FEATURES]
                         for r in records], dtype=np.float32)

    dtrain = xgb.DMatrix(matrix(train), label=np.array([r.values[LABEL] for r in train], dtype=np.float32))
    boosters = {version: xgb.train({"objective": "binary:logistic", "seed": 7, **params}, dtrain, rounds)
                for version, (params, rounds) in SETTINGS.items()}
    return Mammo(matrix(batch), boosters, {version: xgboost_model_archive(b) for version, b in boosters.items()})


class Hosting:
    """The dev account's SageMaker, runtime and CloudWatch clients, and shortcuts to what each test sets up."""

    def __init__(self, endpoint: str, mammo: Mammo):
        self.stack_endpoint = endpoint
        self.mammo = mammo
        dev = session_for_account(DEV, REGION)
        self.registry = session_for_account(REGISTRY, REGION)
        self.sm, self.runtime = dev.client("sagemaker"), dev.client("sagemaker-runtime")
        self.s3, self.cloudwatch = dev.client("s3"), dev.client("cloudwatch")
        self.registry_s3 = self.registry.client("s3")
        self.registry_s3.create_bucket(Bucket=ARTIFACTS_BUCKET)
        self.s3.create_bucket(Bucket=CAPTURE_BUCKET)
        self._execution_role(dev.client("iam"))

    def _execution_role(self, iam) -> None:
        """The models' role: SageMaker downloads their artifacts as it, and the registry's bucket lets it."""
        name, artifacts = ROLE.rsplit("/", 1)[1], f"arn:aws:s3:::{ARTIFACTS_BUCKET}/*"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": artifacts}
        iam.put_role_policy(RoleName=name, PolicyName="read-artifacts",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [read]}))
        self.registry_s3.put_bucket_policy(Bucket=ARTIFACTS_BUCKET, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{**read, "Principal": {"AWS": ROLE}}]}))

    def upload(self, key: str, version: str) -> str:
        self.registry_s3.put_object(Bucket=ARTIFACTS_BUCKET, Key=key, Body=self.mammo.archives[version])
        return f"s3://{ARTIFACTS_BUCKET}/{key}"

    def model(self, name: str, version: str | None = None, **container) -> str:
        if version is not None:
            container["ModelDataUrl"] = self.upload(f"models/{name}/model.tar.gz", version)
        container.setdefault("Image", XGBOOST_IMAGE)
        self.sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
        return name

    def config(self, name: str, *variants: tuple[str, str, float], capture: dict | None = None) -> str:
        extra = {"DataCaptureConfig": capture} if capture else {}
        self.sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": variant, "ModelName": model, "InitialVariantWeight": weight,
             "InstanceType": "ml.m5.large", "InitialInstanceCount": 2} for variant, model, weight in variants],
            **extra)
        return name

    def endpoint(self, name: str, config: str) -> dict:
        self.sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
        assert self.describe(name)["EndpointStatus"] == "Creating"
        self.advance(FLEET_READY_SECONDS)
        return self.describe(name)

    def describe(self, name: str) -> dict:
        return self.sm.describe_endpoint(EndpointName=name)

    def advance(self, seconds: float) -> None:
        advance_clock(self.stack_endpoint, seconds)

    def invoke(self, name: str, body: bytes, **kwargs) -> tuple[str, dict]:
        response = self.runtime.invoke_endpoint(EndpointName=name, Body=body, **kwargs)
        return response["Body"].read().decode(), response

    def scores(self, name: str, rows: np.ndarray | None = None, **kwargs) -> np.ndarray:
        body, _ = self.invoke(name, self.mammo.csv(rows), ContentType="text/csv", **kwargs)
        return np.array([float(line) for line in body.splitlines()])


@pytest.fixture
def hosting(aws, mammo) -> Hosting:
    return Hosting(aws.endpoint, mammo)


@pytest.fixture
def single_endpoint(hosting) -> Callable[[str, str], str]:
    """An InService endpoint serving one version (model, config and endpoint named after `name`)."""

    def make(name: str, version: str) -> str:
        hosting.model(f"{name}-model", version)
        hosting.config(f"{name}-config", ("AllTraffic", f"{name}-model", 1.0))
        assert hosting.endpoint(name, f"{name}-config")["EndpointStatus"] == "InService"
        return name

    return make
