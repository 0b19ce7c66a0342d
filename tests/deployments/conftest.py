"""Fixtures of the endpoint tests: what Terraform and the train pipeline leave for serving, on the reset stack.

The registry account's model package group and artifacts bucket; the dev account's data bucket, workload key
(with its alias) and endpoint execution role. Versions are registered as the train pipeline registers them
(the built-in XGBoost image, a model.tar.gz holding `xgboost-model`), from small boosters trained here on the
UCI data: version "shallow" and version "deep" answer differently, so a switch between them shows in the
predictions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest
import xgboost as xgb
from support import LAMBDA_TRUST, xgboost_model_archive

from localaws.events.delivery import MODEL_PACKAGE_STATE_CHANGE
from pipelines.aws import Target
from pipelines.config import FEATURES, REPO_ROOT, EnvConfig, load_config
from pipelines.data.raw import read_raw
from pipelines.endpoints.deployment import refresh_settings
from pipelines.endpoints.refresh import SETTINGS_VARIABLE
from pipelines.lambdas.package import build_lambda_zip

XGBOOST_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
EVENTS_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "sagemaker.amazonaws.com"}}]}


def create_serving_role(iam, role_name: str, role_arn: str, artifact_buckets: dict,
                        workload_key_arn: str | None = None) -> None:
    """The endpoints' execution role, which SageMaker downloads the served artifacts as: it may read
    `artifact_buckets` ({bucket: its owner's S3 client}), whose bucket policies let it, and decrypt through S3
    with the workload key the multi-model copies are written with (mlops-infra/modules/serving's
    `UseTheWorkloadKeyThroughS3`)."""
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(TRUST))
    read = {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{bucket}/*" for bucket in artifact_buckets]}
    statements = [read]
    if workload_key_arn:
        statements.append({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": workload_key_arn,
                           "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}})
    iam.put_role_policy(RoleName=role_name, PolicyName="read-artifacts",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    for bucket, s3 in artifact_buckets.items():
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {**read, "Principal": {"AWS": role_arn}, "Resource": f"arn:aws:s3:::{bucket}/*"}]}))


def train_archive(max_depth: int, rounds: int) -> bytes:
    """A model.tar.gz as the built-in XGBoost algorithm writes it, from a small booster on the UCI data."""
    records = [r for r in read_raw(REPO_ROOT / "data" / "mammographic_masses.data").records if r.complete]
    features = [[r.values[name] for name in FEATURES] for r in records]
    labels = [r.values["Severity"] for r in records]
    booster = xgb.train({"objective": "binary:logistic", "max_depth": max_depth, "eta": 0.3, "seed": 0},
                        xgb.DMatrix(features, label=labels), num_boost_round=rounds)
    return xgboost_model_archive(booster, raw_format="json")


@pytest.fixture(scope="session")
def model_archives() -> dict[str, bytes]:
    return {"shallow": train_archive(max_depth=1, rounds=3), "deep": train_archive(max_depth=4, rounds=30)}


@dataclass
class Serving:
    """The registry and the dev account, ready to serve; `register` adds a version, `review` approves/rejects."""

    target: Target
    config: EnvConfig
    registry: boto3.Session
    dev: boto3.Session
    archives: dict[str, bytes]
    kms_key_arn: str

    def register(self, archive: str, status: str = "PendingManualApproval") -> int:
        """Upload an archive to the registry's artifacts bucket and register it; its version number."""
        registry_config = self.config.model_registry
        count = len(self.registry.client("sagemaker").list_model_packages(
            ModelPackageGroupName=registry_config.model_package_group_name)["ModelPackageSummaryList"])
        key = f"models/{archive}-{count + 1}/model.tar.gz"
        self.registry.client("s3").put_object(Bucket=registry_config.artifacts_bucket_name, Key=key,
                                              Body=self.archives[archive])
        arn = self.registry.client("sagemaker").create_model_package(
            ModelPackageGroupName=registry_config.model_package_group_name, ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": XGBOOST_IMAGE,
                                "ModelDataUrl": f"s3://{registry_config.artifacts_bucket_name}/{key}"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        )["ModelPackageArn"]
        return int(arn.rsplit("/", 1)[1])

    def review(self, version: int, status: str) -> None:
        self.registry.client("sagemaker").update_model_package(
            ModelPackageArn=self.package_arn(version), ModelApprovalStatus=status)

    def package_arn(self, version: int) -> str:
        group = self.config.model_package_group_arn.replace(":model-package-group/", ":model-package/")
        return f"{group}/{version}"


@pytest.fixture
def serving(target: Target, model_archives) -> Serving:
    config = load_config("dev")
    registry = target.session(config.accounts.registry, config.aws_region)
    registry.client("s3").create_bucket(Bucket=config.model_registry.artifacts_bucket_name)
    registry.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=config.model_registry.model_package_group_name)
    dev = target.session(config.account_id, config.aws_region)
    dev.client("s3").create_bucket(Bucket=config.require_workload().data_bucket_name)
    key = dev.client("kms").create_key(Description="workload key")["KeyMetadata"]["Arn"]
    dev.client("kms").create_alias(AliasName=config.require_workload().kms_alias, TargetKeyId=key)
    create_serving_role(dev.client("iam"), config.require_serving().execution_role_name,
                        config.endpoint_execution_role_arn, {
                            config.model_registry.artifacts_bucket_name: registry.client("s3"),
                            config.require_workload().data_bucket_name: dev.client("s3")}, key)
    _share_the_registry(registry, config)  # after: the registry's bucket policy grants the whole dev account
    return Serving(target, config, registry, dev, model_archives, key)


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]})


def _share_the_registry(registry: boto3.Session, config: EnvConfig) -> None:
    """The registry side of the workload account's reads, as mlops-infra/modules/model-registry grants it: the
    group's versions and the artifacts (cross-account calls need both sides)."""
    workload = {"AWS": f"arn:aws:iam::{config.account_id}:root"}
    group = config.model_package_group_arn
    registry.client("sagemaker").put_model_package_group_policy(
        ModelPackageGroupName=config.model_registry.model_package_group_name, ResourcePolicy=_policy({
            "Principal": workload, "Resource": [group, _packages(config)], "Action": [
                "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
                "sagemaker:ListModelPackages"]}))
    bucket = config.model_registry.artifacts_bucket_name
    registry.client("s3").put_bucket_policy(Bucket=bucket, Policy=_policy(
        {"Principal": workload, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))


def _packages(config: EnvConfig) -> str:
    return config.model_package_group_arn.replace(":model-package-group/", ":model-package/").lower() + "/*"


def _refresh_policy(config: EnvConfig, kms_key_arn: str) -> str:
    """The refresh function role's statements in mlops-infra/modules/serving (model_reads and refresh)."""
    serving, region, account = config.require_serving(), config.aws_region, config.account_id
    data_bucket = config.require_workload().data_bucket_name
    sagemaker = f"arn:aws:sagemaker:{region}:{account}"
    return _policy(
        {"Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{config.model_registry.artifacts_bucket_name}/*"},
        {"Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{data_bucket}",
         "Condition": {"StringLike": {"s3:prefix": [f"{serving.models_prefix}/*"]}}},
        {"Action": ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
         "Resource": [config.model_package_group_arn, _packages(config)]},
        {"Action": "sagemaker:ListModelPackages", "Resource": "*"},
        {"Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
         "Resource": f"arn:aws:s3:::{data_bucket}/{serving.models_prefix}/*"},
        {"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": kms_key_arn},
        {"Action": "kms:CreateGrant", "Resource": kms_key_arn,
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
        {"Action": ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig",
                    "sagemaker:DescribeEndpointConfig", "sagemaker:AddTags"],
         "Resource": [f"{sagemaker}:model/*", f"{sagemaker}:endpoint-config/*"]},
        {"Action": ["sagemaker:DescribeEndpoint", "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint",
                    "sagemaker:AddTags"],
         "Resource": [f"{sagemaker}:endpoint/{endpoint.name.lower()}" for endpoint in serving.endpoints
                      if endpoint.mode == "multi-model"]},
        {"Action": ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint"],
         "Resource": f"{sagemaker}:endpoint-config/*"},
        {"Action": "iam:PassRole", "Resource": config.endpoint_execution_role_arn,
         "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{serving.refresh_function_name}:*"},
    )


@pytest.fixture
def deploy_cli(target: Target) -> Callable[..., int]:
    """`deploy-endpoint ARGS` against the reset stack (AWS_ENDPOINT_URL names it, as in a Jenkins stage)."""
    from pipelines.cli import deploy_endpoint as deploy

    def run(*args: str) -> int:
        return deploy.main(list(args), env={"AWS_ENDPOINT_URL": target.endpoint})

    return run


@pytest.fixture
def refresh_path(serving, tmp_path) -> str:
    """The path from the registry to the refresh function, created the way the Terraform creates it (mlops-infra
    model-package-events and serving modules): the registry account's rule on its group's state changes targets
    the dev account's default bus; the dev rule (matching the registry account as the event's account) invokes
    the refresh function, deployed from endpoint_refresh.zip with its one REFRESH_SETTINGS variable, and
    sends the event to an SQS queue as well. Returns the queue's URL."""
    config, dev = serving.config, serving.dev
    group = config.model_registry.model_package_group_name
    bus = f"arn:aws:events:{config.aws_region}:{config.account_id}:event-bus/default"
    forward_role = serving.registry.client("iam").create_role(
        RoleName="mammo-model-package-events", AssumeRolePolicyDocument=EVENTS_TRUST)["Role"]["Arn"]
    serving.registry.client("iam").put_role_policy(RoleName="mammo-model-package-events", PolicyName="forward",
                                                   PolicyDocument=_policy({"Action": "events:PutEvents",
                                                                           "Resource": bus}))
    registry_events = serving.registry.client("events")
    registry_events.put_rule(Name="mammo-model-package-state-change", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "detail-type": [MODEL_PACKAGE_STATE_CHANGE],
        "detail": {"ModelPackageGroupName": [group]}}))
    registry_events.put_targets(Rule="mammo-model-package-state-change",
                                Targets=[{"Id": "workload-dev", "Arn": bus, "RoleArn": forward_role}])

    events = dev.client("events")
    events.put_permission(Action="events:PutEvents", Principal=config.accounts.registry,
                          StatementId="model-registry-state-changes")
    serving_config = config.require_serving()
    role = dev.client("iam").create_role(RoleName=serving_config.refresh_role_name,
                                         AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"]["Arn"]
    dev.client("iam").put_role_policy(RoleName=serving_config.refresh_role_name, PolicyName="refresh",
                                      PolicyDocument=_refresh_policy(config, serving.kms_key_arn))
    function = dev.client("lambda").create_function(
        FunctionName=serving_config.refresh_function_name, Runtime="python3.11", Role=role,
        Handler="endpoint_refresh.handler", Timeout=120,
        Code={"ZipFile": build_lambda_zip("endpoint_refresh", tmp_path).read_bytes()},
        Environment={"Variables": {SETTINGS_VARIABLE: refresh_settings(dev, config).as_json()}})
    queue = dev.client("sqs").create_queue(QueueName="seen")["QueueUrl"]
    queue_arn = dev.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name="mammo-endpoints-model-package-state-change", EventPattern=json.dumps({
        "source": ["aws.sagemaker"], "account": [config.accounts.registry], "detail-type": [MODEL_PACKAGE_STATE_CHANGE],
        "detail": {"ModelPackageGroupName": [group]}}))
    events.put_targets(Rule="mammo-endpoints-model-package-state-change", Targets=[
        {"Id": "refresh-multi-model-endpoints", "Arn": function["FunctionArn"]}, {"Id": "seen", "Arn": queue_arn}])
    return queue
