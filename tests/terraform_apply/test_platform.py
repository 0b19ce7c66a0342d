"""Registry, dev and prod applied with the real Terraform against the local stack, each in its own account.

The session's shared platform (see conftest.py), applied once per run; this module is the only one that uses
it, and its tests run in file order. First the readers: the accounts read back with boto3, re-planned (no
changes) and the rendered plans scanned by `mlops-infra check --plans`. Then the tests that change it, last:
drift repaired from a saved plan, a plan refused while an apply holds the state lock, and destroy.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from config.test_environments import copy_environments, read, write  # tests/ is on sys.path

from localaws.tools.stack import read_notifications
from pipelines.aws import session_for_account
from pipelines.config import load_config
from pipelines.errors import EXIT_PLAN_HAS_CHANGES, InfraError
from pipelines.infra.plan_scan import scan_rendered_plans
from pipelines.infra.terraform import TERRAFORM_ROOT, RenderedPlan, TerraformRunner

from .accounts import account_client, account_root, as_list, mlops_infra, policy_statements

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
# A line of `mlops-infra check --plans` for one account.
PLAN_CHECKED = re.compile(r"^(?P<environment>\w+): (?P<changes>no changes|the plan has changes); "
                          r"checkov passed the plan (?P<plan>\S+) "
                          r"\(\d+ checks passed, \d+ skipped with a reason; report (?P<report>\S+)\)$", re.MULTILINE)
# checkov's checks for a policy allowing every action (IAM policy documents, role policies).
WILDCARD_CHECKS = {"CKV_AWS_355", "CKV_AWS_63", "CKV_AWS_290"}


# ---------------------------------------------------------------------- helpers

def _aws_principals(statement: dict) -> set[str]:
    principal = statement.get("Principal", {})
    return set(as_list(principal.get("AWS"))) if isinstance(principal, dict) else {principal}


def _service_principals(statement: dict) -> set[str]:
    principal = statement.get("Principal", {})
    return set(as_list(principal.get("Service"))) if isinstance(principal, dict) else set()


def _actions(statement: dict) -> set[str]:
    return set(as_list(statement.get("Action")))


def _assert_no_wildcard_action(policy, where: str) -> None:
    for statement in policy_statements(policy):
        assert "*" not in _actions(statement), f"{where}: statement {statement.get('Sid')} allows every action"


def _key_arn(kms, key_id: str) -> str:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


# ---------------------------------------------------------------------- outputs

def test_outputs_match_the_names_the_python_side_derives(applied_platform):
    registry, dev, prod = (applied_platform[name] for name in ("registry", "dev", "prod"))
    assert registry.outputs["model_package_group_arn"] == registry.config.model_package_group_arn
    assert registry.outputs["model_artifacts_bucket_name"] == registry.config.model_registry.artifacts_bucket_name
    registry_key_prefix = f"arn:aws:kms:us-east-1:{registry.config.account_id}:key/"
    assert registry.outputs["registry_kms_key_arn"].startswith(registry_key_prefix)
    assert registry.outputs.get("data_bucket_name") is None  # null outputs are left out of `output -json`
    for account in (dev, prod):
        config, outputs = account.config, account.outputs
        workload = config.workload
        assert outputs["data_bucket_name"] == workload.data_bucket_name
        assert outputs["sagemaker_execution_role_arn"] == config.sagemaker_execution_role_arn
        assert outputs["lambda_role_arn"] == config.role_arn(workload.lambda_role_name)
        assert outputs["events_role_arn"] == config.role_arn(workload.events_role_name)
        assert outputs["alert_topic_arn"] == config.alert_topic_arn
        assert outputs["latest_model_function_arn"] == config.latest_model_function_arn
        assert outputs["workload_kms_key_arn"].startswith(f"arn:aws:kms:us-east-1:{config.account_id}:key/")
        assert outputs.get("registry_kms_key_arn") is None
    # Jenkins deploys both workload accounts (a dev build assumes the role in dev), so both have the role.
    for workload_account in (dev, prod):
        config = workload_account.config
        assert workload_account.outputs["jenkins_role_arn"] == config.role_arn(config.jenkins.role_name)


# ---------------------------------------------------------------------- registry account

def test_registry_key_grants_dev_and_prod_and_rotates(applied_platform):
    registry = applied_platform["registry"]
    kms = account_client(registry, "kms")
    key_arn = registry.outputs["registry_kms_key_arn"]
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    assert _key_arn(kms, registry.config.model_registry.kms_alias) == key_arn
    policy = kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    granted = set().union(*(_aws_principals(s) for s in policy_statements(policy) if s["Effect"] == "Allow"))
    assert {account_root(registry.config.accounts.dev), account_root(registry.config.accounts.prod)} <= granted
    _assert_no_wildcard_action(policy, "registry key policy")


def test_artifacts_bucket_is_encrypted_with_the_registry_key_and_shared_with_workloads(applied_platform):
    registry = applied_platform["registry"]
    s3 = account_client(registry, "s3")
    bucket = registry.config.model_registry.artifacts_bucket_name
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert _key_arn(account_client(registry, "kms"), default["KMSMasterKeyID"]) == \
        registry.outputs["registry_kms_key_arn"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"] == \
        registry.config.model_registry.access_log_bucket_name

    policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    allowed = set().union(*(_aws_principals(s) for s in policy_statements(policy) if s["Effect"] == "Allow"))
    assert {account_root(registry.config.accounts.dev), account_root(registry.config.accounts.prod)} <= allowed
    assert any(s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
               for s in policy_statements(policy)), "artifacts bucket policy must refuse plain HTTP"
    _assert_no_wildcard_action(policy, "artifacts bucket policy")


def test_model_package_group_policy_names_dev_and_prod(applied_platform):
    registry = applied_platform["registry"]
    sagemaker = account_client(registry, "sagemaker")
    group = registry.config.model_registry.model_package_group_name
    assert sagemaker.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"] == \
        registry.config.model_package_group_arn
    policy = sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"]
    workload_roots = {account_root(account) for account in registry.config.accounts.workloads.values()}
    by_effect: dict[str, set[str]] = {"Allow": set(), "Deny": set()}
    for statement in policy_statements(policy):
        assert _aws_principals(statement) == workload_roots
        by_effect[statement["Effect"]] |= _actions(statement)
        if "sagemaker:CreateModelPackage" in _actions(statement):
            # Registered versions wait for an approver.
            assert statement["Condition"] == {
                "StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    assert by_effect == {
        "Allow": {"sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
                  "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"},
        "Deny": {"sagemaker:UpdateModelPackage"},
    }
    _assert_no_wildcard_action(policy, "model package group policy")


def test_artifacts_replicate_to_the_second_region_re_encrypted_with_the_replica_key(applied_platform):
    registry = applied_platform["registry"]
    config, outputs = registry.config, registry.outputs
    secondary = config.require_secondary_region()
    replica_region = secondary.region
    replica_s3 = session_for_account(config.account_id, replica_region).client("s3")
    replica_kms = session_for_account(config.account_id, replica_region).client("kms")
    replica_key = outputs["artifacts_replica_kms_key_arn"]
    assert replica_key.startswith(f"arn:aws:kms:{replica_region}:{config.account_id}:key/")
    assert _key_arn(replica_kms, config.replica_artifacts_kms_alias_arn) == replica_key
    assert outputs["artifacts_replica_bucket_name"] == secondary.replica_artifacts_bucket_name
    assert replica_s3.get_bucket_location(Bucket=secondary.replica_artifacts_bucket_name)["LocationConstraint"] == \
        replica_region
    assert replica_s3.get_bucket_versioning(Bucket=secondary.replica_artifacts_bucket_name)["Status"] == "Enabled"

    s3 = account_client(registry, "s3")
    bucket = config.model_registry.artifacts_bucket_name
    replication = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    assert replication["Role"] == outputs["artifacts_replication_role_arn"]
    [rule] = replication["Rules"]
    assert (rule["Status"], rule["Filter"], rule["DeleteMarkerReplication"]) == (
        "Enabled", {"Prefix": ""}, {"Status": "Disabled"})
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{secondary.replica_artifacts_bucket_name}"
    assert rule["Destination"]["EncryptionConfiguration"] == {"ReplicaKmsKeyID": replica_key}
    _assert_no_wildcard_action(account_client(registry, "iam").get_role_policy(
        RoleName=outputs["artifacts_replication_role_arn"].split("/")[-1],
        PolicyName="replicate-model-artifacts")["PolicyDocument"], "replication role policy")

    key = "dev/apply-test/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=b"model")  # SSE-KMS with the registry key, the bucket default
    for _ in range(500):
        status = s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus")
        if status != "PENDING":
            break
        time.sleep(0.02)
    assert status == "COMPLETED"
    copy = replica_s3.head_object(Bucket=secondary.replica_artifacts_bucket_name, Key=key)
    assert (copy["ReplicationStatus"], copy["SSEKMSKeyId"]) == ("REPLICA", replica_key)


# ---------------------------------------------------------------------- workload accounts

@pytest.fixture(params=["dev", "prod"])
def workload(request, applied_platform):
    return applied_platform[request.param]


def test_workload_key_lets_eventbridge_use_it_and_rotates(workload):
    kms = account_client(workload, "kms")
    key_arn = workload.outputs["workload_kms_key_arn"]
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    assert _key_arn(kms, workload.config.workload.kms_alias) == key_arn
    policy = kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    events = [s for s in policy_statements(policy) if "events.amazonaws.com" in _service_principals(s)]
    assert events, "the workload key must let EventBridge publish to the encrypted alert topic"
    granted = set().union(*(_actions(s) for s in events))
    assert {"kms:GenerateDataKey*", "kms:Decrypt"} <= granted
    assert all("Condition" not in s for s in events), "source conditions silently block EventBridge"
    _assert_no_wildcard_action(policy, "workload key policy")


def test_data_bucket_is_encrypted_with_the_workload_key(workload):
    s3 = account_client(workload, "s3")
    bucket = workload.config.workload.data_bucket_name
    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert _key_arn(account_client(workload, "kms"), default["KMSMasterKeyID"]) == \
        workload.outputs["workload_kms_key_arn"]
    _assert_no_wildcard_action(s3.get_bucket_policy(Bucket=bucket)["Policy"], "data bucket policy")


def test_alert_topic_uses_the_workload_key_and_accepts_eventbridge(workload):
    sns = account_client(workload, "sns")
    attributes = sns.get_topic_attributes(TopicArn=workload.config.alert_topic_arn)["Attributes"]
    assert _key_arn(account_client(workload, "kms"), attributes["KmsMasterKeyId"]) == \
        workload.outputs["workload_kms_key_arn"]
    publishers = [s for s in policy_statements(attributes["Policy"])
                  if "events.amazonaws.com" in _service_principals(s) and "sns:Publish" in _actions(s)]
    assert publishers, "the topic policy must let EventBridge publish"
    _assert_no_wildcard_action(attributes["Policy"], "alert topic policy")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=workload.config.alert_topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", workload.config.workload.alert_email)]


def _rules_by_pattern(events) -> tuple[list[dict], list[dict]]:
    rules = events.list_rules()["Rules"]
    return [r for r in rules if r.get("ScheduleExpression")], [r for r in rules if r.get("EventPattern")]


def test_pipeline_triggers_patterns_targets_and_roles(workload):
    config = workload.config
    events = account_client(workload, "events")
    events_role = workload.outputs["events_role_arn"]
    train_arn = config.pipeline_arn(config.workload.train_pipeline_name)
    inference_arn = config.pipeline_arn(config.workload.inference_pipeline_name)
    schedules, pattern_rules = _rules_by_pattern(events)
    # The multi-model refresh rule has its own test below.
    pattern_rules = [r for r in pattern_rules if r["Name"] != f"{config.project_name}-model-package-state-change"]

    [schedule] = schedules
    assert schedule["ScheduleExpression"] == config.workload.inference_schedule.expression
    assert schedule["State"] == ("ENABLED" if config.workload.inference_schedule.enabled else "DISABLED")
    [target] = events.list_targets_by_rule(Rule=schedule["Name"])["Targets"]
    assert (target["Arn"], target["RoleArn"]) == (inference_arn, events_role)

    targets_by_pipeline = {}
    for rule in pattern_rules:
        pattern = json.loads(rule["EventPattern"])
        assert pattern["source"] == ["aws.sagemaker"]
        assert pattern["detail-type"] == [STATUS_CHANGE]
        assert pattern["detail"]["currentPipelineExecutionStatus"] == ["Failed"]
        [pipeline] = pattern["detail"]["pipelineArn"]
        targets_by_pipeline[pipeline] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert set(targets_by_pipeline) == {train_arn, inference_arn}

    inference_targets = {t["Arn"]: t for t in targets_by_pipeline[inference_arn]}
    assert set(inference_targets) == {train_arn, config.alert_function_arn}
    assert inference_targets[train_arn]["RoleArn"] == events_role
    assert [t["Arn"] for t in targets_by_pipeline[train_arn]] == [config.alert_function_arn]
    # The alert function gets the whole event (it reads the failure itself).
    assert not {"Input", "InputPath", "InputTransformer"} & set(inference_targets[config.alert_function_arn])


def test_roles_have_least_privilege_inline_policies(workload):
    iam = account_client(workload, "iam")
    config = workload.config
    role_names = [config.workload.sagemaker_execution_role_name, config.workload.lambda_role_name,
                  config.workload.events_role_name]
    if config.jenkins is not None:
        role_names.append(config.jenkins.role_name)
    for role_name in role_names:
        attached = iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        assert not [p for p in attached if "FullAccess" in p["PolicyName"]], f"{role_name} has a *FullAccess policy"
        names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        assert names, f"{role_name} has no inline policy"
        for name in names:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            _assert_no_wildcard_action(document, f"{role_name}/{name}")

    [events_policy] = iam.list_role_policies(RoleName=config.workload.events_role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=config.workload.events_role_name, PolicyName=events_policy)
    statements = policy_statements(document["PolicyDocument"])
    assert set().union(*(_actions(s) for s in statements)) == {"sagemaker:StartPipelineExecution"}
    assert set().union(*(set(as_list(s["Resource"])) for s in statements)) == {
        config.pipeline_arn(config.workload.train_pipeline_name),
        config.pipeline_arn(config.workload.inference_pipeline_name),
    }


def test_warehouse_secret_is_readable_by_the_execution_role_alone(workload):
    config = workload.config
    name = config.workload.pipeline.training_data.warehouse.secret_name
    secrets = account_client(workload, "secretsmanager")
    description = secrets.describe_secret(SecretId=name)
    assert _key_arn(account_client(workload, "kms"), description["KmsKeyId"]) == \
        workload.outputs["workload_kms_key_arn"]
    [statement] = policy_statements(secrets.get_resource_policy(SecretId=name)["ResourcePolicy"])
    assert (statement["Effect"], _actions(statement)) == ("Deny", {"secretsmanager:GetSecretValue"})
    assert statement["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": config.sagemaker_execution_role_arn}}
    iam = account_client(workload, "iam")
    # Jenkins manages the secret (create, describe, its policy) but no role other than the execution role may read
    # its value: GetSecretValue, granted by name or by a wildcard.
    readers = []
    for role in iam.list_roles()["Roles"]:
        documents = [iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)["PolicyDocument"]
                     for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]]
        for attached in iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=version)[
                "PolicyVersion"]["Document"])
        for document in documents:
            readers += [(role["RoleName"], granted["Resource"]) for granted in policy_statements(document)
                        if granted["Effect"] == "Allow" and any(
                            fnmatch.fnmatchcase("secretsmanager:GetSecretValue", action)
                            for action in _actions(granted))]
    assert readers == [(config.workload.sagemaker_execution_role_name,
                        f"arn:aws:secretsmanager:{config.aws_region}:{config.account_id}:secret:{name}-??????")]


def test_latest_model_function(workload):
    config = workload.config
    function = account_client(workload, "lambda").get_function(FunctionName=config.workload.latest_model_function_name)
    settings = function["Configuration"]
    assert settings["Handler"] == "latest_approved_model.handler"
    assert settings["Runtime"] == "python3.11"
    assert settings["Role"] == workload.outputs["lambda_role_arn"]
    assert settings["Environment"]["Variables"]["MODEL_PACKAGE_GROUP_ARN"] == config.model_package_group_arn


def test_alert_function_may_be_invoked_by_the_failure_rules_only(workload):
    config = workload.config
    lambdas = account_client(workload, "lambda")
    settings = lambdas.get_function(FunctionName=config.workload.alert_function_name)["Configuration"]
    assert settings["FunctionArn"] == workload.outputs["alert_function_arn"] == config.alert_function_arn
    assert (settings["Handler"], settings["Runtime"]) == ("pipeline_alert.handler", "python3.11")
    variables = settings["Environment"]["Variables"]
    assert variables["ALERT_TOPIC_ARN"] == config.alert_topic_arn
    assert variables["ENVIRONMENT"] == config.environment
    assert variables["MONITORING_BUCKET"] == config.workload.data_bucket_name
    statements = policy_statements(lambdas.get_policy(FunctionName=config.workload.alert_function_name)["Policy"])
    rules = {rule["Name"]: rule["Arn"] for rule in account_client(workload, "events").list_rules()["Rules"]}
    assert sorted((s["Principal"]["Service"], s["Action"], s["Condition"]["ArnLike"]["AWS:SourceArn"])
                  for s in statements) == sorted(
        ("events.amazonaws.com", "lambda:InvokeFunction", rules[f"{config.project_name}-{kind}-failed"])
        for kind in ("inference", "train"))

    iam = account_client(workload, "iam")
    role = config.workload.alert_lambda_role_name
    assert settings["Role"].endswith(f":role/{role}")
    [policy_name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    _assert_no_wildcard_action(document, role)
    reads = {action: set(as_list(s["Resource"])) for s in policy_statements(document) for action in _actions(s)}
    assert reads["s3:GetObject"] == {f"arn:aws:s3:::{config.workload.data_bucket_name}/monitoring/*"}
    assert reads["sagemaker:DescribePipelineExecution"] == reads["sagemaker:ListPipelineExecutionSteps"] == {
        f"{config.pipeline_arn(name)}/execution/*"
        for name in (config.workload.train_pipeline_name, config.workload.inference_pipeline_name)}
    assert reads["sns:Publish"] == {config.alert_topic_arn}


# ---------------------------------------------------------------------- serving (endpoints made by deploy-endpoint)

def test_endpoint_alarms_role_and_no_scaling_before_the_endpoints_exist(workload):
    config = workload.config
    serving = config.require_serving()
    assert workload.outputs["endpoint_execution_role_arn"] == config.endpoint_execution_role_arn
    assert workload.outputs["endpoint_alarm_names"] == {e.name: list(e.alarm_names) for e in serving.endpoints}
    names = [name for endpoint in serving.endpoints for name in endpoint.alarm_names]
    described = account_client(workload, "cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    alarms = {alarm["AlarmName"]: alarm for alarm in described}
    assert sorted(alarms) == sorted(names)
    for endpoint in serving.endpoints:
        errors, latency = alarms[endpoint.error_alarm_name], alarms[endpoint.latency_alarm_name]
        assert (errors["MetricName"], errors["Statistic"], errors["Threshold"]) == (
            "Invocation5XXErrors", "Sum", endpoint.error_alarm_threshold)
        # ModelLatency is reported in microseconds; the tfvars give milliseconds.
        assert (latency["MetricName"], latency["Statistic"], latency["Threshold"], latency["Unit"]) == (
            "ModelLatency", "Average", endpoint.latency_alarm_threshold_ms * 1000, "Microseconds")
        for alarm in (errors, latency):
            assert alarm["Namespace"] == "AWS/SageMaker"
            assert sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"]) == [
                ("EndpointName", endpoint.name), ("VariantName", endpoint.variant_name)]
            assert (alarm["Period"], alarm["TreatMissingData"], alarm["AlarmActions"]) == (
                60, "notBreaching", [config.alert_topic_arn])
    # autoscaling.enabled is false in the tfvars until deploy-endpoint created the endpoints.
    assert not any(endpoint.autoscaling_enabled for endpoint in serving.endpoints)
    scaling = account_client(workload, "application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"] == []

    iam = account_client(workload, "iam")
    role = iam.get_role(RoleName=serving.execution_role_name)["Role"]
    [trust] = policy_statements(role["AssumeRolePolicyDocument"])
    assert _service_principals(trust) == {"sagemaker.amazonaws.com"}
    secondary = [f"serve-endpoints-{config.secondary_region.region}"] if config.secondary_region else []
    assert sorted(iam.list_role_policies(RoleName=serving.execution_role_name)["PolicyNames"]) == [
        "serve-endpoints", *secondary]
    document = iam.get_role_policy(RoleName=serving.execution_role_name, PolicyName="serve-endpoints")[
        "PolicyDocument"]
    _assert_no_wildcard_action(document, serving.execution_role_name)
    writes = {resource for s in policy_statements(document) if "s3:PutObject" in _actions(s)
              for resource in as_list(s["Resource"])}
    assert writes == {f"arn:aws:s3:::{config.workload.data_bucket_name}/{serving.capture_prefix}/*"}


def test_prod_endpoints_have_their_alarms_and_the_replica_read_in_the_second_region(applied_platform,
                                                                                   platform_stack):
    prod = applied_platform["prod"]
    config = prod.config
    secondary = config.require_secondary_region()
    endpoints = [config.require_secondary_endpoint(name) for name in secondary.endpoints]
    assert prod.outputs["secondary_endpoint_alarm_names"] == {e.name: list(e.alarm_names) for e in endpoints}
    cloudwatch = session_for_account(config.account_id, secondary.region).client("cloudwatch")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert sorted(alarms) == sorted(name for e in endpoints for name in e.alarm_names)
    for endpoint in endpoints:
        assert alarms[endpoint.error_alarm_name]["Threshold"] == endpoint.error_alarm_threshold
        assert alarms[endpoint.latency_alarm_name]["Threshold"] == endpoint.latency_alarm_threshold_ms * 1000
        assert alarms[endpoint.error_alarm_name]["AlarmActions"] == [prod.outputs["secondary_alert_topic_arn"]]
    # The region's topic: same name as the primary's, subscribed by the same address; an alarm firing there mails it.
    topic = prod.outputs["secondary_alert_topic_arn"]
    assert topic == f"arn:aws:sns:{secondary.region}:{config.account_id}:{config.require_workload().alert_topic_name}"
    sns = session_for_account(config.account_id, secondary.region).client("sns")
    assert [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [
        config.require_workload().alert_email]
    alarm = endpoints[0].error_alarm_name
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="5xx errors in the second region")
    [mail] = [n for n in read_notifications(platform_stack.endpoint, topic) if alarm in (n.subject or "")]
    assert mail.subject == f'ALARM: "{alarm}" in US West (Oregon)'
    assert json.loads(mail.message)["NewStateReason"] == "5xx errors in the second region"
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test over")

    role = config.require_serving().execution_role_name
    iam = account_client(prod, "iam")
    document = iam.get_role_policy(RoleName=role, PolicyName=f"serve-endpoints-{secondary.region}")["PolicyDocument"]
    _assert_no_wildcard_action(document, role)
    statements = {s["Sid"]: s for s in policy_statements(document)}
    assert statements["ReadReplicaArtifacts"]["Resource"] == (
        f"arn:aws:s3:::{secondary.replica_artifacts_bucket_name}/*")
    decrypt = statements["DecryptReplicaArtifactsWithTheReplicaKeyByAlias"]
    assert decrypt["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"] == secondary.replica_kms_alias
    assert decrypt["Resource"] == f"arn:aws:kms:{secondary.region}:{config.accounts.registry}:key/*"


def test_multi_model_refresh_function_rule_and_bus_permission(workload):
    config = workload.config
    serving = config.require_serving()
    lambdas = account_client(workload, "lambda")
    settings = lambdas.get_function(FunctionName=serving.refresh_function_name)["Configuration"]
    assert settings["FunctionArn"] == workload.outputs["endpoint_refresh_function_arn"]
    assert settings["FunctionArn"] == config.endpoint_refresh_function_arn
    assert (settings["Handler"], settings["Runtime"]) == ("endpoint_refresh.handler", "python3.11")
    assert settings["Role"] == config.role_arn(serving.refresh_role_name)
    bucket = config.workload.data_bucket_name
    # The settings the refresh library reads: the same names and URIs pipelines/config.py derives.
    assert json.loads(settings["Environment"]["Variables"]["REFRESH_SETTINGS"]) == {
        "model_package_group_arn": config.model_package_group_arn,
        "models_s3_uri": f"s3://{bucket}/{serving.models_prefix}",
        "kms_key_arn": workload.outputs["workload_kms_key_arn"],
        "execution_role_arn": config.endpoint_execution_role_arn,
        "capture_s3_uri": f"s3://{bucket}/{serving.capture_prefix}",
        "capture_sampling_percent": serving.capture_sampling_percent,
        "endpoints": [{
            "name": e.name, "instance_type": e.instance_type, "initial_instance_count": e.initial_instance_count,
            "deployment_strategy": e.deployment_strategy, "traffic_step_percent": e.traffic_step_percent,
            "wait_interval_seconds": e.wait_interval_seconds, "alarm_names": list(e.alarm_names),
        } for e in serving.multi_model_endpoints],
    }
    assert list(settings["Environment"]["Variables"]) == ["REFRESH_SETTINGS"]

    events = account_client(workload, "events")
    rule = events.describe_rule(Name=f"{config.project_name}-model-package-state-change")
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.sagemaker"], "account": [config.accounts.registry],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [config.model_registry.model_package_group_name]},
    }
    [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == config.endpoint_refresh_function_arn
    [invoke] = policy_statements(lambdas.get_policy(FunctionName=serving.refresh_function_name)["Policy"])
    assert (invoke["Principal"]["Service"], invoke["Condition"]["ArnLike"]["AWS:SourceArn"]) == (
        "events.amazonaws.com", rule["Arn"])
    # The default bus admits the registry account, which forwards the group's state changes.
    [admitted] = policy_statements(events.describe_event_bus()["Policy"])
    assert (_aws_principals(admitted), admitted["Action"]) == \
        ({account_root(config.accounts.registry)}, "events:PutEvents")

    iam = account_client(workload, "iam")
    [policy_name] = iam.list_role_policies(RoleName=serving.refresh_role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=serving.refresh_role_name, PolicyName=policy_name)["PolicyDocument"]
    _assert_no_wildcard_action(document, serving.refresh_role_name)
    by_action: dict[str, set[str]] = {}
    for statement in policy_statements(document):
        for action in _actions(statement):
            by_action.setdefault(action, set()).update(as_list(statement["Resource"]))
    assert by_action["iam:PassRole"] == {config.endpoint_execution_role_arn}
    # UpdateEndpoint authorizes the endpoint and the config it moves to (AWS checks both resources).
    configs = f"arn:aws:sagemaker:{config.aws_region}:{config.account_id}:endpoint-config/*"
    assert by_action["sagemaker:UpdateEndpoint"] == {
        *(config.endpoint_arn(e.name) for e in serving.multi_model_endpoints), configs}
    assert by_action["s3:PutObject"] == {f"arn:aws:s3:::{bucket}/{serving.models_prefix}/*"}


def test_data_bucket_expires_endpoint_capture_in_its_one_lifecycle_configuration(workload):
    serving = workload.config.require_serving()
    rules = account_client(workload, "s3").get_bucket_lifecycle_configuration(
        Bucket=workload.config.workload.data_bucket_name)["Rules"]
    assert [rule["ID"] for rule in rules] == ["expire-noncurrent-versions", "expire-endpoint-capture"]
    capture = rules[1]
    assert capture["Filter"] == {"Prefix": f"{serving.capture_prefix}/"}
    assert capture["Expiration"] == {"Days": serving.capture_retention_days}


def test_registry_forwards_the_groups_state_changes_to_dev_and_prod(applied_platform):
    registry = applied_platform["registry"]
    config = registry.config
    events = account_client(registry, "events")
    assert registry.outputs["model_package_events_rule_arn"].endswith(
        f":rule/{config.project_name}-model-package-state-to-workloads")
    rule = events.describe_rule(Name=f"{config.project_name}-model-package-state-to-workloads")
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [config.model_registry.model_package_group_name]},
    }
    targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    buses = {f"arn:aws:events:{config.aws_region}:{account}:event-bus/default"
             for account in config.accounts.workloads.values()}
    assert {t["Arn"] for t in targets} == buses
    [role_arn] = {t["RoleArn"] for t in targets}
    iam = account_client(registry, "iam")
    role_name = role_arn.rsplit("/", 1)[1]
    [policy_name] = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    [statement] = policy_statements(iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"])
    assert (_actions(statement), set(as_list(statement["Resource"]))) == ({"events:PutEvents"}, buses)


def test_prod_jenkins_role_is_trusted_by_the_jenkins_principal_and_logs_are_encrypted(applied_platform):
    prod = applied_platform["prod"]
    iam = account_client(prod, "iam")
    trust = iam.get_role(RoleName=prod.config.jenkins.role_name)["Role"]["AssumeRolePolicyDocument"]
    trusted = set().union(*(_aws_principals(s) for s in policy_statements(trust)))
    assert trusted == {prod.config.jenkins.principal_arn}
    [group] = account_client(prod, "logs").describe_log_groups(logGroupNamePrefix=prod.config.jenkins.log_group_name)[
        "logGroups"]
    assert group["retentionInDays"] == prod.config.jenkins.log_retention_days
    assert group.get("kmsKeyId")


def test_approver_role_alone_may_approve_and_is_trusted_by_the_configured_principals(applied_platform):
    registry = applied_platform["registry"]
    iam = account_client(registry, "iam")
    model_registry = registry.config.model_registry
    role = iam.get_role(RoleName=model_registry.approver_role_name)["Role"]
    trusted = set().union(*(_aws_principals(s) for s in policy_statements(role["AssumeRolePolicyDocument"])))
    assert trusted == set(model_registry.approver_trusted_principal_arns)
    [name] = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
    assert set().union(*(_actions(s) for s in policy_statements(document))) == {
        "sagemaker:UpdateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
        "sagemaker:ListModelPackages", "s3:GetObject", "kms:Decrypt"}


def test_every_workload_role_carries_the_boundary(workload):
    iam = account_client(workload, "iam")
    boundary = f"arn:aws:iam::{workload.config.account_id}:policy/{workload.config.project_name}-" \
               f"{workload.config.environment}-workload-boundary"
    serving = workload.config.require_serving()
    for name in (workload.config.workload.sagemaker_execution_role_name, workload.config.workload.lambda_role_name,
                 workload.config.workload.events_role_name, workload.config.workload.alert_lambda_role_name,
                 serving.execution_role_name, serving.refresh_role_name):
        role = iam.get_role(RoleName=name)["Role"]
        assert role["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                               "PermissionsBoundaryArn": boundary}, name


# ---------------------------------------------------------------------- idempotence and the rendered plans

@pytest.fixture(scope="module")
def checked_plans(applied_platform, tmp_path_factory) -> dict[str, dict]:
    """`mlops-infra check --plans` once: fmt, validate and checkov of the HCL, then each account re-planned and
    its rendered plan scanned. {environment: {"changes", "plan", "report"}} from the lines it printed."""
    checked = mlops_infra("check", "--plans", local_dir=tmp_path_factory.mktemp("check"))  # in local mode
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert "terraform fmt, validate, checkov and README tables: all passed" in checked.stdout
    found = {match["environment"]: {"changes": match["changes"], "plan": Path(match["plan"]),
                                    "report": Path(match["report"])}
             for match in PLAN_CHECKED.finditer(checked.stdout)}
    assert sorted(found) == sorted(applied_platform), checked.stdout
    # staging's file describes an account the platform fixture does not build: named, not planned
    assert ("staging: not planned: state bucket mammo-tfstate-444444444444 does not exist (mlops-infra bootstrap "
            "--env staging creates it)") in checked.stdout
    return found


def test_a_second_plan_has_no_changes(checked_plans):
    assert {environment: plan["changes"] for environment, plan in checked_plans.items()} == {
        "registry": "no changes", "dev": "no changes", "prod": "no changes"}
    for environment, plan in checked_plans.items():
        rendered = json.loads(plan["plan"].read_text())
        changed = [change["address"] for change in rendered.get("resource_changes", [])
                   if set(change["change"]["actions"]) - {"no-op", "read"}]
        assert changed == [], environment


@pytest.mark.parametrize("environment", ["registry", "dev", "prod"])
def test_checkov_passes_the_rendered_plan_of_each_account(checked_plans, environment):
    # The rendered plan holds the policies and settings as the tfvars build them (module inputs resolved, the
    # applied resources' ARNs known), which the HCL scan cannot see.
    report = json.loads(checked_plans[environment]["report"].read_text())
    assert [f"{c['check_id']} {c['resource']}" for c in report["results"]["failed_checks"]] == []
    assert report["summary"]["passed"] > 0
    scanned = {Path(c["file_abs_path"]) for c in report["results"]["passed_checks"]}
    assert scanned == {checked_plans[environment]["plan"]}
    for check in report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason.split()) >= 4, f"{check['check_id']} on {check['resource']} is skipped without a reason"


def test_checkov_fails_every_accounts_plan_with_its_policies_widened_to_every_action(checked_plans, tmp_path):
    # The same plans with each inline role policy (Jenkins, approver, workload roles) widened to every action:
    # the scan fails each account, naming the widened policies, and writes the failures in its report.
    widened_plans = []
    for environment, checked in checked_plans.items():
        plan = json.loads(checked["plan"].read_text())
        widened = 0
        for module in _plan_modules(plan["planned_values"]["root_module"]):
            for resource in module.get("resources", []):
                if resource["type"] == "aws_iam_role_policy":
                    policy = json.loads(resource["values"]["policy"])
                    policy["Statement"].append({"Effect": "Allow", "Action": "*", "Resource": "*"})
                    resource["values"]["policy"] = json.dumps(policy)
                    widened += 1
        assert widened, environment
        plan_json = tmp_path / f"{environment}.plan.json"
        plan_json.write_text(json.dumps(plan))
        widened_plans.append(RenderedPlan(environment, False, plan_json.resolve(), TERRAFORM_ROOT))

    with pytest.raises(InfraError) as failure:
        scan_rendered_plans(widened_plans)
    for environment in checked_plans:
        assert f"{environment}: " in str(failure.value)
        report = json.loads((tmp_path / f"{environment}.checkov.json").read_text())
        assert {c["check_id"] for c in report["results"]["failed_checks"]} & WILDCARD_CHECKS, environment


def test_an_environment_removed_from_the_registry_file_loses_every_grant_in_the_next_plan(applied_platform, tmp_path):
    # The applied registry grants every workload account of its file, staging's too. Without staging in the file
    # (its file, its account and its place in promotion removed), a real plan of the registry on the applied state
    # takes its account out of every grant: policies updated, its event target deleted, nothing else touched.
    registry = applied_platform["registry"]
    staging = registry.config.accounts.of("staging")
    directory = copy_environments(tmp_path)
    (directory / "staging.tfvars.json").unlink()
    document = read(directory, "registry")
    document["promotion"].remove("staging")
    del document["accounts"]["staging"]
    write(directory, "registry", document)
    runner = TerraformRunner(load_config("registry", directory), work_dir=tmp_path / "work",
                             target=registry.runner.target)
    assert runner.plan(out=tmp_path / "revoke.tfplan") is True
    changes = [change for change in runner.show_plan(tmp_path / "revoke.tfplan")["resource_changes"]
               if set(change["change"]["actions"]) - {"no-op", "read"}]

    granted_before = {change["address"]: change["change"]["actions"] for change in changes
                      if staging in json.dumps(change["change"]["before"])}
    assert granted_before == {change["address"]: change["change"]["actions"] for change in changes}
    assert [change["address"] for change in changes if staging in json.dumps(change["change"]["after"])] == []
    deleted = sorted(address for address, actions in granted_before.items() if actions == ["delete"])
    updated = sorted(address for address, actions in granted_before.items() if actions == ["update"])
    assert all(f'"{staging}"' in address for address in deleted), deleted  # per-account resources, by id
    assert sorted(deleted + updated) == sorted(granted_before), granted_before
    assert {re.sub(r"\[.*?\]", "", address).rsplit(".", 1)[0] for address in granted_before} >= {
        "module.registry_kms.aws_kms_key", "module.model_registry.aws_sagemaker_model_package_group_policy",
        "module.model_registry.module.artifacts_bucket.aws_s3_bucket_policy"}, sorted(granted_before)


def _plan_modules(module: dict):
    yield module
    for child in module.get("child_modules", []):
        yield from _plan_modules(child)


# ---------------------------------------------------------------------- changes: drift, the lock, destroy (keep last)
# Only after every reader above: the module's tests run in file order.

# The CLI, drift and saved plans

def test_cli_plans_drift_to_a_file_and_applies_that_plan(applied_platform, tmp_path):
    registry = applied_platform["registry"]
    sagemaker = account_client(registry, "sagemaker")
    group = registry.config.model_registry.model_package_group_name
    original = json.loads(sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"])
    # Someone edits the policy by hand: prod loses its access.
    drifted = {**original, "Statement": [{**statement, "Principal": {"AWS": account_root(registry.config.accounts.dev)}}
                                         for statement in policy_statements(original)]}
    sagemaker.put_model_package_group_policy(ModelPackageGroupName=group, ResourcePolicy=json.dumps(drifted))

    plan_file = tmp_path / "registry.tfplan"
    planned = mlops_infra("plan", "--env", "registry", "--out", str(plan_file), "--detailed-exitcode",
                          local_dir=tmp_path)
    assert planned.returncode == EXIT_PLAN_HAS_CHANGES, planned.stderr[-3000:]
    assert "registry: the plan has changes" in planned.stdout
    assert plan_file.is_file()

    applied = mlops_infra("apply", "--env", "registry", "--plan", str(plan_file), local_dir=tmp_path)
    assert applied.returncode == 0, applied.stderr[-3000:]
    restored = json.loads(sagemaker.get_model_package_group_policy(ModelPackageGroupName=group)["ResourcePolicy"])
    assert restored == original

    replanned = mlops_infra("plan", "--env", "registry", "--detailed-exitcode", local_dir=tmp_path)
    assert replanned.returncode == 0, replanned.stderr[-3000:]
    assert "registry: no changes" in replanned.stdout
    output = mlops_infra("output", "--env", "registry", "model_package_group_arn", local_dir=tmp_path)
    assert json.loads(output.stdout) == registry.config.model_package_group_arn


# ---------------------------------------------------------------------- locking

def test_a_plan_fails_on_the_lock_held_by_a_running_apply_and_the_state_survives(applied_platform, tmp_path):
    dev = applied_platform["dev"]
    runner = dev.runner
    before = runner.state_pull()
    # An interactive apply holds the state lock while it waits for its "yes": a real, long-lived holder.
    env = runner.environment(runner.root)
    env.pop("TF_INPUT")
    holder = subprocess.Popen(
        runner.command(runner.root, "apply", "-no-color", "-replace=module.notifications[0].aws_sns_topic.alerts",
                       *runner._variables()),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        _wait_for_prompt(holder)
        with pytest.raises(InfraError) as excinfo:
            runner.plan()
        message = str(excinfo.value)
        assert "state lock" in message
        assert f"s3://{dev.config.terraform_state_bucket}/{dev.config.state_key}" in message
        assert "force-unlock" in message
        assert excinfo.value.exit_code == 4
    finally:
        holder.communicate("no\n", timeout=120)
    assert holder.returncode != 0  # "Apply cancelled."
    after = runner.state_pull()
    assert (after["lineage"], after["serial"]) == (before["lineage"], before["serial"])
    assert after["resources"] == before["resources"]
    assert runner.plan() is False


def _wait_for_prompt(process: subprocess.Popen, timeout: float = 300) -> None:
    """Read the apply's output until it asks for approval (the lock is held from before the plan to the end)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if "Only 'yes' will be accepted" in line:
            process.stdout.readline()  # the blank line before "Enter a value:"
            return
    raise AssertionError("the apply never asked for approval:\n" + "".join(seen[-30:]))


# ---------------------------------------------------------------------- destroy (keep last)

def _empty_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                  for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})


def test_destroy_leaves_nothing(applied_platform):
    # The stack delivers S3 server access logs as AWS does, on every request to the artifacts bucket (Terraform's
    # own reads during destroy included). The log bucket deliberately has no force_destroy, so - as an operator
    # would - stop the logging and empty the log bucket first; Terraform then finds the logging gone.
    registry = applied_platform["registry"]
    s3 = account_client(registry, "s3")
    s3.put_bucket_logging(Bucket=registry.config.model_registry.artifacts_bucket_name, BucketLoggingStatus={})
    _empty_bucket(s3, registry.config.model_registry.access_log_bucket_name)
    # The buckets have no force_destroy: empty the artifacts bucket and its replica in the second region too.
    secondary = registry.config.require_secondary_region()
    _empty_bucket(s3, registry.config.model_registry.artifacts_bucket_name)
    replica_session = session_for_account(registry.config.account_id, secondary.region)
    _empty_bucket(replica_session.client("s3"), secondary.replica_artifacts_bucket_name)
    with ThreadPoolExecutor(max_workers=len(applied_platform)) as pool:
        list(pool.map(lambda account: account.runner.destroy(), applied_platform.values()))
    for account in applied_platform.values():
        config = account.config
        s3 = account_client(account, "s3")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [config.terraform_state_bucket]
        kms = account_client(account, "kms")
        live_keys = [k for k in kms.list_keys()["Keys"]
                     if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"]
        assert live_keys == []
        if config.secondary_region is not None and config.environment == "registry":
            replica_kms = session_for_account(config.account_id, config.secondary_region.region).client("kms")
            assert [k for k in replica_kms.list_keys()["Keys"]
                    if replica_kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"] == []
        assert account_client(account, "iam").list_roles()["Roles"] == []
        assert account_client(account, "sns").list_topics()["Topics"] == []
        assert account_client(account, "secretsmanager").list_secrets()["SecretList"] == []
        assert account_client(account, "events").list_rules()["Rules"] == []
        assert account_client(account, "cloudwatch").describe_alarms()["MetricAlarms"] == []
        if config.secondary_region is not None:
            assert session_for_account(config.account_id, config.secondary_region.region).client(
                "cloudwatch").describe_alarms()["MetricAlarms"] == []
        assert account_client(account, "lambda").list_functions()["Functions"] == []
        assert account_client(account, "logs").describe_log_groups()["logGroups"] == []
        assert account_client(account, "sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"] == []
        assert account.runner.output() == {}
