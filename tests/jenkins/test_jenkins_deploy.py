"""The Jenkinsfile's deploy stages really run against the local stack, in prod, as cross-account-jenkins-role.

The Groovy harness runs the Jenkinsfile and executes the commands of the chosen stages with bash, as Jenkins'
`sh` does, inside `withAWS` with credentials this test obtains by really assuming `cross-account-jenkins-role`
in the prod account from the tooling account's credentials (moto's default account, 123456789012). The role
exists because prod's Terraform creates it: like a platform engineer's first deployment, prod was applied once by
the local administrator (the run's applied platform, restored on a stack of this module's own: the `aws`
fixture's resets would wipe it); every build after that goes through Jenkins.

The first build also executes 'Install' (`make install`: nothing to do in the virtualenv this test runs in).
'Test' is recorded only: it would run this test suite from within itself.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from urllib.parse import unquote

import boto3
import pytest
from jenkins_harness import JENKINS_ROLE, PROD_APPLY, REPO_ROOT, stage
from shell_environment import local_environment

from localaws.authorization import trail
from localaws.tools.access_report import report
from localaws.tools.stack import LocalAwsStack
from pipelines.aws import Target
from pipelines.config import load_config
from pipelines.endpoints import hosting
from pipelines.infra.terraform import runner_for

pytestmark = [pytest.mark.jenkins, pytest.mark.terraform, pytest.mark.slow]

PROD = load_config("prod")
JENKINS_ROLE_ARN = f"arn:aws:iam::{PROD.accounts.prod}:role/{JENKINS_ROLE}"
DEPLOY_STAGES = ["Read config", "Terraform plan", "Terraform apply", "Upsert pipelines"]


@pytest.fixture(scope="module")
def prod_stack(groovy, platform_snapshot, tmp_path_factory) -> Iterator[LocalAwsStack]:
    """A stack of this module's own on a copy of the run's applied platform, this process activated for it; its
    terraform work dirs in a MLOPS_LOCAL_DIR of its own (not the repo's .local, which a developer's `mlops-local`
    session or the demo may be using at the same time)."""
    folder = tmp_path_factory.mktemp("jenkins-stack")
    with pytest.MonkeyPatch.context() as patch, platform_snapshot.restored_stack(folder) as stack, \
            local_environment(stack.endpoint):
        patch.setenv("MLOPS_LOCAL_DIR", str(folder / "local"))
        # The default work dir, initialised, as the administrator's apply leaves it for the stage scripts.
        runner_for("prod", Target.local_stack(stack.endpoint)).init()
        yield stack


@pytest.fixture(scope="module")
def prod_account(prod_stack) -> boto3.Session:
    """The administrator's session in prod."""
    return Target.local_stack(prod_stack.endpoint).session(PROD.account_id, PROD.aws_region)


@pytest.fixture(scope="module")
def jenkins_credentials(prod_account) -> dict:
    """What withAWS does: the tooling account's credentials assume the role in prod."""
    tooling = boto3.Session(region_name=PROD.aws_region)
    assert tooling.client("sts").get_caller_identity()["Account"] == PROD.accounts.tooling
    credentials = tooling.client("sts").assume_role(RoleArn=JENKINS_ROLE_ARN, RoleSessionName="jenkins-build")
    return {key: credentials["Credentials"][key] for key in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def schedule_rule(admin) -> dict:
    events = admin.client("events")
    [rule] = [rule for rule in events.list_rules()["Rules"] if "ScheduleExpression" in rule]
    return rule


@pytest.fixture(scope="module")
def first_build(prod_account, jenkins_credentials, run_jenkinsfile) -> dict:
    """A prod apply build after someone disabled the inference schedule by hand: the plan has that change."""
    prod_account.client("events").disable_rule(Name=schedule_rule(prod_account)["Name"])
    return run_jenkinsfile(PROD_APPLY, execute=[*DEPLOY_STAGES, "Install", "post"],
                           credentials={JENKINS_ROLE_ARN: jenkins_credentials})


@pytest.fixture(scope="module")
def second_build(first_build, jenkins_credentials, run_jenkinsfile) -> dict:
    return run_jenkinsfile({**PROD_APPLY, "TERRAFORM_ACTION": "plan"}, execute=[*DEPLOY_STAGES, "post"],
                           credentials={JENKINS_ROLE_ARN: jenkins_credentials})


def executed(report: dict, stage_name: str) -> dict:
    [command] = [command for command in report["commands"] if command["stage"] == stage_name]
    assert command["executed"], command
    assert command["exitStatus"] == 0, command["output"]
    return command


def test_the_jenkins_role_trusts_the_configured_jenkins_principal_only(prod_account, jenkins_credentials):
    trust = prod_account.client("iam").get_role(RoleName=JENKINS_ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert [statement["Principal"] for statement in trust["Statement"]] == [{"AWS": PROD.jenkins.principal_arn}]
    identity = boto3.client(
        "sts", region_name=PROD.aws_region, aws_access_key_id=jenkins_credentials["AccessKeyId"],
        aws_secret_access_key=jenkins_credentials["SecretAccessKey"],
        aws_session_token=jenkins_credentials["SessionToken"],
    ).get_caller_identity()
    assert identity["Account"] == PROD.accounts.prod
    assert f":assumed-role/{JENKINS_ROLE}/jenkins-build" in identity["Arn"]


def role_policy_documents(iam, role_name: str) -> list[dict]:
    """The role's inline policies and the default versions of its attached managed policies."""
    documents = [iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
                 for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]]
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                          VersionId=version)["PolicyVersion"]["Document"]
        documents.append(json.loads(unquote(document)) if isinstance(document, str) else document)
    return documents


def role_allows(iam, role_name: str, action: str, resource: str) -> bool:
    """Whether an Allow statement of the role's policies names `action` on `resource` (wildcards matched,
    conditions ignored): what the stages this module does not run (the endpoint ones) need is checked here,
    statically; the builds below run the others against the stack's IAM."""
    for document in role_policy_documents(iam, role_name):
        for statement in document["Statement"]:
            actions = statement.get("Action", [])
            resources = statement.get("Resource", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = [resources] if isinstance(resources, str) else resources
            if statement["Effect"] == "Allow" and \
                    any(fnmatch.fnmatchcase(action, pattern) for pattern in actions) and \
                    any(fnmatch.fnmatchcase(resource, pattern) for pattern in resources):
                return True
    return False


def _deploy_endpoint_calls() -> list[tuple[str, str]]:
    """What deploy-endpoint and invoke-endpoint call for each prod endpoint (version 3), on the names the
    hosting functions really give the models and configs."""
    prefix = f"arn:aws:sagemaker:{PROD.aws_region}:{PROD.account_id}"
    package = PROD.model_package_group_arn.replace(":model-package-group/", ":model-package/").lower() + "/3"
    role = PROD.endpoint_execution_role_arn
    serving = PROD.require_serving()
    models_uri = f"s3://{PROD.workload.data_bucket_name}/{serving.models_prefix}"
    capture = hosting.Capture(f"s3://{PROD.workload.data_bucket_name}/{serving.capture_prefix}", 100,
                              f"arn:aws:kms:{PROD.aws_region}:{PROD.account_id}:key/example")
    calls = [("sagemaker:ListModelPackages", "*"), ("sagemaker:DescribeModelPackage", package), ("iam:PassRole", role)]
    for endpoint in serving.endpoints:
        if endpoint.mode == "multi-model":
            model = hosting.multi_model_request(endpoint, "xgboost:1.7-1", f"{models_uri}/{endpoint.name}/", role)
            artifacts = PROD.model_registry.artifacts_bucket_name
            calls += [("s3:GetObject", f"arn:aws:s3:::{artifacts}/models/3/model.tar.gz"),
                      ("s3:PutObject", f"arn:aws:s3:::{PROD.workload.data_bucket_name}/{serving.models_prefix}/"
                                       f"{endpoint.name}/{PROD.model_registry.model_package_group_name}/v3.tar.gz")]
        else:
            model = hosting.single_model_request(endpoint, package, 3, role)
        config = hosting.endpoint_config_request(endpoint, model["ModelName"], capture, [3])["EndpointConfigName"]
        calls += [(action, f"{prefix}:model/{model['ModelName']}")
                  for action in ("sagemaker:CreateModel", "sagemaker:DescribeModel")]
        calls += [(action, f"{prefix}:endpoint-config/{config}") for action in (
            "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:AddTags")]
        calls += [(action, PROD.endpoint_arn(endpoint.name)) for action in (
            "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint",
            "sagemaker:ListTags", "sagemaker:AddTags", "sagemaker:InvokeEndpoint")]
    return calls


DEPLOY_ENDPOINT_CALLS = _deploy_endpoint_calls()


def _deploy_secondary_calls() -> list[tuple[str, str]]:
    """What deploy-endpoint and invoke-endpoint --region secondary call for each endpoint served in the second
    region (version 3), on the names deploy_secondary gives the models and configs there: the registry in the
    primary region, HeadObject of the artifact and of its replica, then the same SageMaker calls in that region."""
    secondary = PROD.require_secondary_region()
    prefix = f"arn:aws:sagemaker:{secondary.region}:{PROD.account_id}"
    package = PROD.model_package_group_arn.replace(":model-package-group/", ":model-package/").lower() + "/3"
    role = PROD.endpoint_execution_role_arn
    artifact = f"s3://{PROD.model_registry.artifacts_bucket_name}/models/3/model.tar.gz"
    replica = PROD.replica_artifact_uri(artifact)
    calls = [("sagemaker:ListModelPackages", "*"), ("sagemaker:DescribeModelPackage", package),
             ("iam:PassRole", role), ("s3:GetObject", f"arn:aws:s3:::{artifact.removeprefix('s3://')}"),
             ("s3:GetObject", f"arn:aws:s3:::{replica.removeprefix('s3://')}"),
             ("s3:ListBucket", f"arn:aws:s3:::{secondary.replica_artifacts_bucket_name}")]
    for name in secondary.endpoints:
        endpoint = PROD.require_secondary_endpoint(name)
        # An image URI of the secondary region as secondary_image returns it (the name's digest only differs).
        image = f"246618743249.dkr.ecr.{secondary.region}.amazonaws.com/sagemaker-xgboost:1.7-1"
        model = hosting.image_model_request(endpoint, 3, image, replica, role)
        config = hosting.endpoint_config_request(endpoint, model["ModelName"], None, [3])["EndpointConfigName"]
        calls += [(action, f"{prefix}:model/{model['ModelName']}")
                  for action in ("sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:ListTags")]
        calls += [(action, f"{prefix}:endpoint-config/{config}") for action in (
            "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig", "sagemaker:AddTags")]
        calls += [(action, f"{prefix}:endpoint/{endpoint.name.lower()}") for action in (
            "sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint",
            "sagemaker:ListTags", "sagemaker:AddTags", "sagemaker:InvokeEndpoint")]
    return calls


DEPLOY_SECONDARY_CALLS = _deploy_secondary_calls()


@pytest.mark.parametrize(("action", "resource"), [
    # scripts/notify-failure.sh
    ("sns:Publish", PROD.alert_topic_arn),
    # scripts/upsert-pipelines.sh: the code upload, then the upsert with the execution role
    ("s3:PutObject", f"arn:aws:s3:::{PROD.workload.data_bucket_name}/code/0123abcd/preprocess.py"),
    ("sagemaker:CreatePipeline", PROD.pipeline_arn(PROD.workload.train_pipeline_name)),
    ("sagemaker:UpdatePipeline", PROD.pipeline_arn(PROD.workload.inference_pipeline_name)),
    ("sagemaker:DescribePipeline", PROD.pipeline_arn(PROD.workload.inference_pipeline_name)),
    ("iam:PassRole", PROD.sagemaker_execution_role_arn),
    # scripts/terraform-plan.sh and terraform-apply.sh: the state and its lock file
    ("s3:PutObject", f"arn:aws:s3:::{PROD.terraform_state_bucket}/{PROD.state_key}"),
    ("s3:PutObject", f"arn:aws:s3:::{PROD.terraform_state_bucket}/{PROD.state_key}.tflock"),
    # scripts/deploy-endpoints.sh (deploy-endpoint) and smoke-test-endpoints.sh (invoke-endpoint)
    *DEPLOY_ENDPOINT_CALLS,
    # scripts/deploy-secondary-endpoints.sh and smoke-test-secondary-endpoints.sh (--region secondary)
    *DEPLOY_SECONDARY_CALLS,
])
def test_the_jenkins_role_may_do_what_its_stages_do(prod_account, action, resource):
    assert role_allows(prod_account.client("iam"), JENKINS_ROLE, action, resource)


@pytest.mark.parametrize(("action", "resource"), [
    ("sagemaker:UpdateModelPackage", PROD.model_package_group_arn.replace("-group/", "/").lower() + "/3"),
    ("sagemaker:UpdateModelPackageGroup", PROD.model_package_group_arn),
    ("iam:PassRole", PROD.role_arn(PROD.model_registry.approver_role_name)),
    ("sagemaker:InvokeEndpoint", PROD.endpoint_arn("someone-elses-endpoint")),
    # In the second region: only the endpoints served there (not the multi-model one), nothing but the replicas
    *[(action, PROD.endpoint_arn(name).replace(f":{PROD.aws_region}:", f":{PROD.require_secondary_region().region}:"))
      for name in ("someone-elses-endpoint", *(endpoint.name for endpoint in PROD.require_serving().endpoints
                                               if endpoint.mode == "multi-model"))
      for action in ("sagemaker:InvokeEndpoint", "sagemaker:UpdateEndpoint")],
    ("sagemaker:CreateModel", f"arn:aws:sagemaker:{PROD.require_secondary_region().region}:{PROD.account_id}:model/"
                              "someone-elses-model"),
    ("s3:PutObject", f"arn:aws:s3:::{PROD.require_secondary_region().replica_artifacts_bucket_name}/models/3/"
                     "model.tar.gz"),
    ("s3:ListBucket", f"arn:aws:s3:::{PROD.model_registry.artifacts_bucket_name}"),
    ("kms:Decrypt", f"arn:aws:kms:{PROD.require_secondary_region().region}:{PROD.accounts.registry}:key/example"),
    ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{PROD.aws_region}:{PROD.account_id}:secret:"
                                      f"{PROD.workload.pipeline.training_data.warehouse.secret_name}-AbCdEf"),
])
def test_the_jenkins_role_may_not_approve_pass_other_roles_or_read_the_secret(prod_account, action, resource):
    assert not role_allows(prod_account.client("iam"), JENKINS_ROLE, action, resource)


def test_the_jenkins_role_may_not_publish_elsewhere(prod_account):
    other_topic = PROD.alert_topic_arn.replace(PROD.workload.alert_topic_name, "someone-elses-topic")
    assert not role_allows(prod_account.client("iam"), JENKINS_ROLE, "sns:Publish", other_topic)


def test_first_build_plans_applies_and_upserts_in_prod_as_the_jenkins_role(first_build):
    assert first_build["result"] == "SUCCESS", first_build["failureMessage"]
    assert [entry["name"] for entry in first_build["stages"] if entry["status"] == "success"] == [
        "Read config", "Install", "Test", "Terraform plan", "Approve apply", "Terraform apply",
        "Upsert pipelines"]
    for stage_name in DEPLOY_STAGES[1:]:
        assert f"acting as arn:aws:sts::{PROD.accounts.prod}:assumed-role/{JENKINS_ROLE}/" in \
            executed(first_build, stage_name)["output"]
    assert "prod: the plan has changes" in executed(first_build, "Terraform plan")["output"]
    assert "prod: applied" in executed(first_build, "Terraform apply")["output"]
    assert "Python 3.11" in executed(first_build, "Install")["output"]
    assert first_build["post"] == ["always"]


def test_the_stage_scripts_terraform_and_upsert_calls_are_recorded_as_the_jenkins_role(first_build, prod_account,
                                                                                      prod_stack):
    # The administrator's calls are not in the report: what the stages did shows under the role or not at all.
    # The stack's trail records who made each call.
    access = report(prod_stack.state_dir / trail.FOLDER)[JENKINS_ROLE_ARN]
    used = access.used
    assert f"arn:aws:s3:::{PROD.terraform_state_bucket}/{PROD.state_key}" in used["s3:PutObject"]  # the apply
    assert schedule_rule(prod_account)["Arn"] in used["events:PutRule"]  # the drift it repaired
    assert PROD.pipeline_arn(PROD.workload.train_pipeline_name) in used["sagemaker:CreatePipeline"]  # the upsert
    assert access.denied == []


def test_first_build_archived_the_plan_it_applied(first_build):
    plan_file = REPO_ROOT / "build" / "terraform" / "prod.tfplan"
    assert plan_file.is_file()
    plan_text = (REPO_ROOT / "build" / "reports" / "terraform-plan.txt").read_text()
    assert "prod: the plan has changes" in plan_text
    assert "will be updated in-place" in plan_text


def test_first_build_repaired_the_drift(first_build, prod_account):
    assert schedule_rule(prod_account)["State"] == "ENABLED"


def test_first_build_upserted_both_pipelines_in_prod(first_build, prod_account):
    pipelines = prod_account.client("sagemaker").list_pipelines()["PipelineSummaries"]
    assert sorted(summary["PipelineName"] for summary in pipelines) == sorted(
        [PROD.workload.train_pipeline_name, PROD.workload.inference_pipeline_name])
    for summary in pipelines:
        assert summary["PipelineArn"] == PROD.pipeline_arn(summary["PipelineName"])
    code = prod_account.client("s3").list_objects_v2(Bucket=PROD.workload.data_bucket_name, Prefix="code/")
    assert code["KeyCount"] > 0  # the processing scripts the definitions reference


def test_second_build_plans_no_changes(second_build):
    assert second_build["result"] == "SUCCESS", second_build["failureMessage"]
    assert "prod: no changes" in executed(second_build, "Terraform plan")["output"]
    assert stage(second_build, "Terraform apply")["status"] == "skipped: when"
    assert stage(second_build, "Upsert pipelines")["status"] == "skipped: when"


def test_a_failed_build_notifies_the_prod_alert_topic_as_the_jenkins_role(
        second_build, prod_account, jenkins_credentials, run_jenkinsfile):
    sqs = prod_account.client("sqs")
    queue_url = sqs.create_queue(QueueName="jenkins-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    prod_account.client("sns").subscribe(TopicArn=PROD.alert_topic_arn, Protocol="sqs", Endpoint=queue_arn)

    # The plan stage fails (simulated); the post-failure notification really runs.
    report = run_jenkinsfile(PROD_APPLY, fail_commands=["terraform-plan.sh"], execute=["Read config", "post"],
                             credentials={JENKINS_ROLE_ARN: jenkins_credentials}, build_number=42)

    assert report["result"] == "FAILURE"
    [notify] = [command for command in report["commands"] if command["section"] == "post:failure"]
    assert notify["exitStatus"] == 0, notify["output"]
    assert f"assumed-role/{JENKINS_ROLE}/" in notify["output"]
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    [notification] = [json.loads(message["Body"]) for message in messages]
    assert notification["Subject"] == "Jenkins: mlops-sagemaker-platform-deploy #42 failed (prod)"
    assert "https://jenkins.example.com/job/mlops-sagemaker-platform-deploy/42/console" in notification["Message"]
