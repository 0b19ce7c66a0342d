"""The platform's IAM as Terraform creates it (mlops-infra/modules/iam, kms, model-registry), for tests that stand
for the platform: the workload's SageMaker execution role, the registry's bucket and model package group
policies, the workload and registry KMS keys. Each function names the Terraform document it follows."""

from __future__ import annotations

import json
from typing import Any

from pipelines.config import REGISTRY, EnvConfig, load_config

from .roles import VERSION, allow, bucket_arn, create_role, pass_role, trust_policy

KEY_CRYPTOGRAPHY = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def execution_statements(config: EnvConfig, workload_key_arn: str) -> list[dict[str, Any]]:
    """The SageMaker execution role's policy in mlops-infra/modules/iam (`sagemaker_execution`), for the
    workload of `config`, without the ECR and metrics statements: the stack pulls no image and takes no metric
    from a job."""
    workload, registry = config.require_workload(), config.model_registry
    prefix = f"arn:aws:sagemaker:{config.aws_region}:{config.account_id}"
    pipelines = [config.pipeline_arn(workload.train_pipeline_name),
                 config.pipeline_arn(workload.inference_pipeline_name)]
    data, artifacts = bucket_arn(workload.data_bucket_name), bucket_arn(registry.artifacts_bucket_name)
    statements = [
        allow(["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob",
               "sagemaker:CreateModel", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob",
               "sagemaker:DescribeTransformJob", "sagemaker:DescribeModel", "sagemaker:StopProcessingJob",
               "sagemaker:StopTrainingJob", "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags",
               "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
               "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTrainingJobsForHyperParameterTuningJob"],
              [f"{prefix}:{kind}/*" for kind in ("processing-job", "training-job", "transform-job",
                                                 "hyper-parameter-tuning-job", "model")]),
        allow(["sagemaker:DescribePipeline", "sagemaker:DescribePipelineExecution",
               "sagemaker:ListPipelineExecutionSteps"], [*pipelines, *(f"{arn}/execution/*" for arn in pipelines)]),
        allow(["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
               "sagemaker:DescribeModelPackageGroup"],
              [config.model_package_group_arn, _model_packages_arn(config)]),
        allow(["s3:ListBucket", "s3:GetBucketLocation"], [data, artifacts]),
        allow(["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"], f"{data}/*"),
        allow("s3:GetObject", f"{artifacts}/*"),
        allow(["s3:PutObject", "s3:AbortMultipartUpload"], f"{artifacts}/{config.environment}/*"),
        allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              [f"arn:aws:logs:{config.aws_region}:{config.account_id}:log-group:/aws/sagemaker/*",
               f"arn:aws:logs:{config.aws_region}:{config.account_id}:log-group:/aws/sagemaker/*:log-stream:*"]),
        allow(KEY_CRYPTOGRAPHY, workload_key_arn),
        allow("kms:CreateGrant", workload_key_arn, {"Bool": {"kms:GrantIsForAWSResource": "true"}}),
        allow(KEY_CRYPTOGRAPHY, f"arn:aws:kms:{config.aws_region}:{config.accounts.registry}:key/*",
              {"ForAnyValue:StringEquals": {"kms:ResourceAliases": registry.kms_alias}}),
        pass_role(config.sagemaker_execution_role_arn),
        allow("lambda:InvokeFunction", config.latest_model_function_arn),
    ]
    warehouse = workload.pipeline.training_data.warehouse
    if warehouse is not None:
        statements.insert(0, allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{config.aws_region}:"
                                   f"{config.account_id}:secret:{warehouse.secret_name}-??????"))
    return statements


def create_execution_role(session, config: EnvConfig, workload_key_arn: str) -> str:
    """The workload's SageMaker execution role as Terraform creates it (trust, policy statements above)."""
    return create_role(session.client("iam"), config.require_workload().sagemaker_execution_role_name,
                       trust_policy("sagemaker.amazonaws.com"), execution_statements(config, workload_key_arn))


def key_policy(account_id: str, region: str, cross_account_ids: tuple[str, ...] = ()) -> str:
    """A key's policy in mlops-infra/modules/kms (`key`): the owning account's IAM policies decide, other
    accounts may use it through S3 and SageMaker (the service-principal statements are left out: no test here
    publishes to an encrypted topic or log group)."""
    statements: list[dict[str, Any]] = [
        {**allow("kms:*", "*"), "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}}]
    if cross_account_ids:
        statements.append({**allow(KEY_CRYPTOGRAPHY, "*", {"StringEquals": {"kms:ViaService": [
            f"s3.{region}.amazonaws.com", f"sagemaker.{region}.amazonaws.com"]}}),
            "Principal": {"AWS": [f"arn:aws:iam::{account}:root" for account in cross_account_ids]}})
    return json.dumps({"Version": VERSION, "Statement": statements})


def create_key(session, alias: str, policy: str) -> str:
    """A key with `policy` and its alias; the key's ARN."""
    kms = session.client("kms")
    arn = kms.create_key(Policy=policy, Description=alias)["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    return arn


def _model_packages_arn(config: EnvConfig) -> str:
    name = config.model_registry.model_package_group_name
    return config.model_package_group_arn.replace(f"model-package-group/{name}", f"model-package/{name.lower()}/*")


def workload_accounts(config: EnvConfig) -> dict[str, str]:
    """Every workload environment -> its account, as the registry file lists them (a workload file lists only
    its own)."""
    return dict(load_config(REGISTRY, config.path.parent).accounts.workloads)


def _workload_principals(config: EnvConfig) -> dict[str, list[str]]:
    return {"AWS": [f"arn:aws:iam::{account}:root" for account in workload_accounts(config).values()]}


def registry_bucket_policy(config: EnvConfig, registry_key_arn: str) -> str:
    """The artifacts bucket's policy in mlops-infra/modules/model-registry (`artifacts_access`)."""
    artifacts = bucket_arn(config.model_registry.artifacts_bucket_name)
    principals = _workload_principals(config)
    statements = [
        {**allow(["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"], f"{artifacts}/*"),
         "Principal": principals},
        {**allow(["s3:ListBucket", "s3:GetBucketLocation"], artifacts), "Principal": principals},
        *({**allow(["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"], f"{artifacts}/{name}/*"),
           "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}
          for name, account in workload_accounts(config).items()),
        {"Effect": "Deny", "Action": ["s3:PutObject"], "Resource": [f"{artifacts}/*"], "Principal": "*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": [
             registry_key_arn, config.model_artifacts_kms_alias_arn]}}},
    ]
    return json.dumps({"Version": VERSION, "Statement": statements})


def model_package_group_policy(config: EnvConfig) -> str:
    """The central model package group's policy in mlops-infra/modules/model-registry (`model_package_group`),
    with the Approved registrations of the registry file's model_registry.auto_approving_environments."""
    resources = [config.model_package_group_arn, _model_packages_arn(config)]
    principals = _workload_principals(config)
    registry = load_config(REGISTRY, config.path.parent)
    auto_approving = [registry.accounts.of(name) for name in registry.model_registry.auto_approving_environments]
    statements = [
        {**allow(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
                  "sagemaker:ListModelPackages"], resources), "Principal": principals},
        {**allow("sagemaker:CreateModelPackage", resources,
                 {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}),
         "Principal": principals},
        {"Effect": "Deny", "Action": ["sagemaker:UpdateModelPackage"], "Resource": resources,
         "Principal": principals},
    ]
    if auto_approving:
        statements.insert(2, {**allow("sagemaker:CreateModelPackage", resources,
                                      {"StringEquals": {"sagemaker:ModelApprovalStatus": "Approved"}}),
                              "Principal": {"AWS": [f"arn:aws:iam::{account}:root" for account in auto_approving]}})
    return json.dumps({"Version": VERSION, "Statement": statements})


def provision_registry_and_role(target, config: EnvConfig) -> None:
    """What Terraform creates for a train run of `config`'s workload: in the registry account the artifacts key,
    bucket and model package group with their policies; in the workload account its key and the SageMaker
    execution role. `target`: a pipelines.aws.Target acting as each account's administrator."""
    registry = target.session(config.accounts.registry, config.aws_region)
    registry_key = create_key(registry, config.model_registry.kms_alias, key_policy(
        config.accounts.registry, config.aws_region, tuple(workload_accounts(config).values())))
    artifacts = config.model_registry.artifacts_bucket_name
    registry.client("s3").create_bucket(Bucket=artifacts)
    registry.client("s3").put_bucket_policy(Bucket=artifacts, Policy=registry_bucket_policy(config, registry_key))
    group = config.model_registry.model_package_group_name
    registry.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
    registry.client("sagemaker").put_model_package_group_policy(ModelPackageGroupName=group,
                                                                ResourcePolicy=model_package_group_policy(config))
    provision_execution_role(target.session(config.account_id, config.aws_region), config)


def provision_execution_role(workload_session, config: EnvConfig) -> str:
    """The workload's key and SageMaker execution role, as Terraform creates them; the role's ARN."""
    workload_key = create_key(workload_session, config.require_workload().kms_alias,
                              key_policy(config.account_id, config.aws_region))
    return create_execution_role(workload_session, config, workload_key)


def approver_statements(config: EnvConfig, registry_key_arn: str | None = None) -> list[dict[str, Any]]:
    """The approver role's policy in mlops-infra/modules/model-registry (`approver`); the statement on the
    registry key only with `registry_key_arn` (a test whose reports are not encrypted has no key)."""
    packages = _model_packages_arn(config)
    artifacts = bucket_arn(config.model_registry.artifacts_bucket_name)
    statements = [
        allow(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
              [config.model_package_group_arn, packages]),
        allow("sagemaker:ListModelPackages", "*"),  # it has no resource type
        allow("s3:GetObject", f"{artifacts}/*/evaluation/*"),
        allow("sagemaker:UpdateModelPackage", packages),
    ]
    if registry_key_arn is not None:
        statements.append(allow("kms:Decrypt", registry_key_arn))
    return statements


def create_approver_role(registry_session, config: EnvConfig, registry_key_arn: str | None = None) -> str:
    trust = json.dumps({"Version": VERSION, "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": list(config.model_registry.approver_trusted_principal_arns)}}]})
    return create_role(registry_session.client("iam"), config.model_registry.approver_role_name, trust,
                       approver_statements(config, registry_key_arn))


def latest_model_function_statements(config: EnvConfig) -> list[dict[str, Any]]:
    """The latest-approved-model function's role policy in mlops-infra/modules/iam (`lambda`), without the
    statement on the workload key (the tests' functions have no encrypted environment)."""
    region, account = config.aws_region, config.account_id
    log_group = f"/aws/lambda/{config.require_workload().latest_model_function_name}"
    return [
        allow(["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
              [config.model_package_group_arn, _model_packages_arn(config)]),
        allow("sagemaker:ListModelPackages", "*"),  # it has no resource type
        allow(["logs:CreateLogStream", "logs:PutLogEvents"],
              f"arn:aws:logs:{region}:{account}:log-group:{log_group}:*"),
        allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    ]


def create_latest_model_function_role(session, config: EnvConfig) -> str:
    return create_role(session.client("iam"), config.require_workload().lambda_role_name,
                       trust_policy("lambda.amazonaws.com"), latest_model_function_statements(config))


def events_statements(config: EnvConfig) -> list[dict[str, Any]]:
    """The EventBridge role's policy in mlops-infra/modules/iam (`events`)."""
    workload = config.require_workload()
    return [allow("sagemaker:StartPipelineExecution", [config.pipeline_arn(workload.train_pipeline_name),
                                                       config.pipeline_arn(workload.inference_pipeline_name)])]


def create_events_role(session, config: EnvConfig) -> str:
    return create_role(session.client("iam"), config.require_workload().events_role_name,
                       trust_policy("events.amazonaws.com"), events_statements(config))
