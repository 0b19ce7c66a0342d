"""Serving prod's endpoint in the secondary region from the artifact's replica, and client-side failover, on the
local stack with real boto3 and one small XGBoost model.

The registry account's artifacts bucket replicates to its replica bucket in us-west-2 (the stack's S3 replication,
as the registry's Terraform configures it); prod deploys the version in us-east-1 from the registry package and in
us-west-2 from the replica with that region's image. Marked `serving` (the stack's hosting emulation), as
test_serving.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from support import wait_for

from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS
from localaws.tools.stack import advance_clock, read_notifications
from mlops_demo.email import format_email
from pipelines.cli.invoke_endpoint import main as invoke_main
from pipelines.config import REPO_ROOT, load_config
from pipelines.endpoints.deploy import deploy_endpoint
from pipelines.endpoints.deployment import DeployRequest
from pipelines.endpoints.invoke import SMOKE_ROWS, csv_payload, invoke_with_failover
from pipelines.endpoints.secondary import deploy_and_compare
from pipelines.errors import EXIT_USAGE

from .conftest import XGBOOST_IMAGE, create_serving_role

pytestmark = [pytest.mark.serving, pytest.mark.slow]

ENDPOINT = "mammo-severity"
SECONDARY_XGBOOST_IMAGE = "246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1"


class TwoRegions:
    """The registry's replicated artifacts bucket and group, and prod ready to serve in both regions."""

    def __init__(self, target, archives):
        self.target, self.archive = target, archives["shallow"]
        self.config = config = load_config("prod")
        secondary = config.require_secondary_region()
        registry = target.session(config.accounts.registry, config.aws_region)
        self.s3 = registry.client("s3")
        self.replica_s3 = target.session(config.accounts.registry, secondary.region).client("s3")
        self.bucket, self.replica_bucket = config.model_registry.artifacts_bucket_name, \
            secondary.replica_artifacts_bucket_name
        self.s3.create_bucket(Bucket=self.bucket)
        self.replica_s3.create_bucket(Bucket=self.replica_bucket,
                                      CreateBucketConfiguration={"LocationConstraint": secondary.region})
        for s3, bucket in ((self.s3, self.bucket), (self.replica_s3, self.replica_bucket)):
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        self.registry_sm = registry.client("sagemaker")
        self.registry_sm.create_model_package_group(
            ModelPackageGroupName=config.model_registry.model_package_group_name)
        prod = target.session(config.account_id, config.aws_region)
        prod.client("s3").create_bucket(Bucket=config.require_workload().data_bucket_name)
        key = prod.client("kms").create_key()["KeyMetadata"]["Arn"]
        prod.client("kms").create_alias(AliasName=config.require_workload().kms_alias, TargetKeyId=key)
        create_serving_role(prod.client("iam"), config.require_serving().execution_role_name,
                            config.endpoint_execution_role_arn, {self.bucket: self.s3,
                                                                 self.replica_bucket: self.replica_s3})
        self.sm = {region: target.session(config.account_id, region).client("sagemaker")
                   for region in (config.aws_region, secondary.region)}

    def replicate(self) -> None:
        self.s3.put_bucket_replication(Bucket=self.bucket, ReplicationConfiguration={
            "Role": self._replication_role(),
            "Rules": [{"ID": "artifacts", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                       "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::{self.replica_bucket}"}}]})

    def _replication_role(self) -> str:
        """The role S3 replicates as (the model-registry module's, for unencrypted artifacts)."""
        iam = self.target.session(self.config.accounts.registry, self.config.aws_region).client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "s3.amazonaws.com"}}]}
        arn = iam.create_role(RoleName="mammo-artifacts-replication",
                              AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName="mammo-artifacts-replication", PolicyName="replicate", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"],
                 "Resource": f"arn:aws:s3:::{self.bucket}/*"},
                {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                 "Resource": f"arn:aws:s3:::{self.replica_bucket}/*"}]}))
        return arn

    def upload(self, key: str, archive: bytes | None = None) -> str:
        """Put the archive at `key`; its version id, once S3 has replicated it (when a rule applies)."""
        version = self.s3.put_object(Bucket=self.bucket, Key=key, Body=archive or self.archive)["VersionId"]
        wait_for(lambda: self.s3.head_object(Bucket=self.bucket, Key=key).get("ReplicationStatus") != "PENDING",
                 f"replication of {key}")
        return version

    def register(self, key: str) -> int:
        arn = self.registry_sm.create_model_package(
            ModelPackageGroupName=self.config.model_registry.model_package_group_name, ModelApprovalStatus="Approved",
            InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": f"s3://{self.bucket}/{key}"}],
                                    "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        )["ModelPackageArn"]
        return int(arn.rsplit("/", 1)[1])

    def in_service(self) -> None:
        advance_clock(self.target.endpoint, FLEET_READY_SECONDS)

    def secondary_alerts(self) -> tuple[str, list[str]]:
        """The second region's alert topic and the endpoint's alarms notifying it, as Terraform's serving-secondary
        makes them (tests/terraform_apply checks the applied module): the topic ARN and the alarm names."""
        region = self.config.require_secondary_region().region
        session = self.target.session(self.config.account_id, region)
        topic = session.client("sns").create_topic(Name=self.config.require_workload().alert_topic_name)["TopicArn"]
        settings = self.config.require_secondary_endpoint(ENDPOINT)
        cloudwatch = session.client("cloudwatch")
        for alarm, metric in zip(settings.alarm_names, ("Invocation5XXErrors", "ModelLatency"), strict=True):
            cloudwatch.put_metric_alarm(
                AlarmName=alarm, Namespace="AWS/SageMaker", MetricName=metric, Statistic="Sum", Period=60,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                Dimensions=[{"Name": "EndpointName", "Value": ENDPOINT},
                            {"Name": "VariantName", "Value": "AllTraffic"}],
                AlarmActions=[topic])
        return topic, list(settings.alarm_names)


@pytest.fixture
def regions(target, model_archives) -> TwoRegions:
    return TwoRegions(target, model_archives)


def test_the_secondary_endpoint_serves_the_replica_with_its_region_image_and_failover_reaches_it(regions):
    regions.replicate()
    regions.upload("models/v1/model.tar.gz")
    version = regions.register("models/v1/model.tar.gz")
    primary = deploy_endpoint(DeployRequest("prod", ENDPOINT, version=version), regions.target)
    secondary = deploy_endpoint(DeployRequest("prod", ENDPOINT, version=version, region="secondary"), regions.target)
    regions.in_service()

    assert (primary.region, secondary.region, secondary.action, secondary.versions) == (
        "us-east-1", "us-west-2", "created", (version,))
    sagemaker = regions.sm["us-west-2"]
    [variant] = sagemaker.describe_endpoint_config(EndpointConfigName=secondary.config_name)["ProductionVariants"]
    container = sagemaker.describe_model(ModelName=variant["ModelName"])["PrimaryContainer"]
    assert container["Image"] == SECONDARY_XGBOOST_IMAGE
    assert container["ModelDataUrl"] == f"s3://{regions.replica_bucket}/models/v1/model.tar.gz"
    again = deploy_endpoint(DeployRequest("prod", ENDPOINT, latest_approved=True, region="secondary"), regions.target)
    assert (again.action, again.config_name) == ("unchanged", secondary.config_name)

    _, comparison = deploy_and_compare(regions.target, regions.config, ENDPOINT, SMOKE_ROWS, version, wait=False)
    assert (comparison.primary.region, comparison.secondary.region) == ("us-east-1", "us-west-2")
    assert comparison.identical
    assert len(comparison.primary.predictions) == len(SMOKE_ROWS)

    served = invoke_with_failover(regions.target, regions.config, ENDPOINT, csv_payload(SMOKE_ROWS))
    assert (served.region, served.failed_over) == ("us-east-1", False)
    regions.sm["us-east-1"].delete_endpoint(EndpointName=ENDPOINT)
    served = invoke_with_failover(regions.target, regions.config, ENDPOINT, csv_payload(SMOKE_ROWS))
    assert (served.region, served.failed_over) == ("us-west-2", True)
    assert "endpoint mammo-severity does not exist in us-east-1" in served.primary_error
    assert served.invocation.predictions == comparison.primary.predictions


def test_the_failover_cli_prints_the_secondary_answer(regions, capsys, caplog):
    regions.replicate()
    regions.upload("models/v1/model.tar.gz")
    version = regions.register("models/v1/model.tar.gz")
    deploy_endpoint(DeployRequest("prod", ENDPOINT, version=version, region="secondary"), regions.target)
    regions.in_service()

    with caplog.at_level("INFO", logger="invoke-endpoint"):
        status = invoke_main(["--env", "prod", "--endpoint", ENDPOINT, "--failover", "--csv", "75,4,5,3"],
                             env={"AWS_ENDPOINT_URL": regions.target.endpoint})

    assert status == 0
    assert 0.0 < float(capsys.readouterr().out) < 1.0
    assert caplog.messages[-2:] == [
        "endpoint mammo-severity does not exist in us-east-1: deploy it first (deploy-endpoint); failing over to "
        "us-west-2", "served by us-west-2 (failed over)"]


def _delete_replica_versions(regions, key: str, only_latest: bool) -> None:
    versions = regions.replica_s3.list_object_versions(Bucket=regions.replica_bucket, Prefix=key)["Versions"]
    for version in versions:
        if version["IsLatest"] or not only_latest:
            regions.replica_s3.delete_object(Bucket=regions.replica_bucket, Key=key, VersionId=version["VersionId"])


@pytest.mark.parametrize(("prepare", "message"), [
    ("before-replication", "the replica of s3://mammo-model-artifacts-111111111111/models/v1/model.tar.gz in "
                           "us-west-2 is not current: the primary object's replication is not set"),
    ("replica-deleted", "the replica s3://mammo-model-artifacts-replica-111111111111/models/v1/model.tar.gz is "
                        "missing"),
    ("replica-behind", "the replica s3://mammo-model-artifacts-replica-111111111111/models/v1/model.tar.gz is older "
                       "than the primary's artifact"),
])
def test_a_missing_or_older_replica_is_refused_with_exit_2_and_nothing_is_created(regions, deploy_cli, capsys,
                                                                                   prepare, message):
    key = "models/v1/model.tar.gz"
    if prepare == "before-replication":
        regions.upload(key)
        regions.replicate()
    else:
        regions.replicate()
        regions.upload(key)
        regions.upload(key)  # a second version of the same key, replicated too
        _delete_replica_versions(regions, key, only_latest=prepare == "replica-behind")
    version = regions.register(key)
    capsys.readouterr()

    status = deploy_cli("--env", "prod", "--endpoint", ENDPOINT, "--version", str(version), "--region", "secondary")

    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert message in error
    assert error.count("deploy-endpoint: error:") == 1
    assert regions.sm["us-west-2"].list_models()["Models"] == []
    assert regions.sm["us-west-2"].list_endpoints()["Endpoints"] == []


@pytest.mark.parametrize(("change", "message"), [
    ({"region": "us-east-1"}, "field 'secondary_region.region' is 'us-east-1', the same as 'aws_region'"),
    ({"region": "us-wset-2"}, "field 'secondary_region.region' has invalid value 'us-wset-2': not an AWS region; "
                              "did you mean 'us-west-2'?"),
    ({"replication_enabled": False}, "field 'secondary_region.replication_enabled' is false, but a deploy of "
                                     "mammo-severity in the secondary region (us-west-2) was requested"),
    ({"endpoints": ["mammo-severity-versions"]}, "field 'secondary_region.endpoints[0]' has invalid value "
                                                 "'mammo-severity-versions': it is multi-model"),
])
def test_bad_secondary_settings_are_named_once_with_exit_2(deploy_cli, capsys, monkeypatch, tmp_path, change,
                                                          message):
    shutil.copytree(REPO_ROOT / "environments", tmp_path, dirs_exist_ok=True)
    document = json.loads((tmp_path / "prod.tfvars.json").read_text())
    document["secondary_region"].update(change)
    (tmp_path / "prod.tfvars.json").write_text(json.dumps(document))
    monkeypatch.setenv("MLOPS_ENVIRONMENTS_DIR", str(tmp_path))

    status = deploy_cli("--env", "prod", "--endpoint", ENDPOINT, "--version", "1", "--region", "secondary")

    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert message in error
    assert error.count("deploy-endpoint: error:") == 1


def test_the_stage_scripts_deploy_and_smoke_test_the_secondary_region(regions):
    regions.replicate()
    regions.upload("models/v1/model.tar.gz")
    version = regions.register("models/v1/model.tar.gz")
    env = {**os.environ, "ENDPOINT_ENV": "prod", "ENDPOINT_MODEL_VERSION": str(version)}

    for script in ("deploy-secondary-endpoints.sh", "smoke-test-secondary-endpoints.sh"):
        result = subprocess.run([str(REPO_ROOT / "scripts" / script)], env=env, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    assert "smoke test of mammo-severity passed" in result.stdout
    assert [e["EndpointName"] for e in regions.sm["us-west-2"].list_endpoints()["Endpoints"]] == [ENDPOINT]
    assert regions.sm["us-east-1"].list_endpoints()["Endpoints"] == []


def test_a_second_region_alarm_rolls_the_update_back_and_mails_that_regions_alert_topic(regions, model_archives):
    regions.replicate()
    regions.upload("models/v1/model.tar.gz")
    regions.upload("models/v2/model.tar.gz", model_archives["deep"])
    first, second = regions.register("models/v1/model.tar.gz"), regions.register("models/v2/model.tar.gz")
    topic, (errors_alarm, _) = regions.secondary_alerts()
    region = regions.config.require_secondary_region().region
    served = deploy_endpoint(DeployRequest("prod", ENDPOINT, version=first, region="secondary"), regions.target)
    regions.in_service()

    deploy_endpoint(DeployRequest("prod", ENDPOINT, version=second, region="secondary"), regions.target)
    cloudwatch = regions.target.session(regions.config.account_id, region).client("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName=errors_alarm, StateValue="ALARM", StateReason="5xx errors on version 2")
    endpoint = regions.config.require_endpoint(ENDPOINT)
    advance_clock(regions.target.endpoint, FLEET_READY_SECONDS * 2 + endpoint.wait_interval_seconds + 60)

    described = regions.sm[region].describe_endpoint(EndpointName=ENDPOINT)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", served.config_name)
    [mail] = read_notifications(regions.target.endpoint, topic)
    assert mail.subject == f'ALARM: "{errors_alarm}" in US West (Oregon)'
    alarm = json.loads(mail.message)
    assert (alarm["AlarmName"], alarm["NewStateValue"], alarm["OldStateValue"], alarm["NewStateReason"]) == (
        errors_alarm, "ALARM", "OK", "5xx errors on version 2")
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{region}:{regions.config.account_id}:alarm:{errors_alarm}"
    assert alarm["Trigger"]["Dimensions"] == [{"value": ENDPOINT, "name": "EndpointName"},
                                              {"value": "AllTraffic", "name": "VariantName"}]
    email = format_email(mail, topic, [regions.config.require_workload().alert_email])
    assert f'Subject: ALARM: "{errors_alarm}" in US West (Oregon)' in email
    # An alarm notifies only a topic of its own region: the primary region's topic of that name gets nothing.
    primary_topic = regions.target.session(regions.config.account_id, regions.config.aws_region).client(
        "sns").create_topic(Name=regions.config.require_workload().alert_topic_name)["TopicArn"]
    assert read_notifications(regions.target.endpoint, primary_topic) == []
