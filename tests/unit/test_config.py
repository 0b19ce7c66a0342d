"""pipelines.config: the typed view of environments/*.tfvars.json, and its errors naming file and field.

The exact messages are pinned here; that the loader refuses what each Terraform validation block refuses, naming
the same field, is tests/config (the bad-input table).
"""

import copy
import json
import os
from pathlib import Path

import pytest

from pipelines.config import ENVIRONMENTS_DIR, environments, load_config, load_config_file
from pipelines.errors import ConfigError, UsageError


@pytest.fixture
def prod_document():
    return json.loads((ENVIRONMENTS_DIR / "prod.tfvars.json").read_text())


def write(tmp_path, document, name="prod.tfvars.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


# The account ids here are literals on purpose: these tests check what load_config reads from the committed
# tfvars (and how it refuses bad ones), so reading the expected values through load_config would prove nothing.
@pytest.mark.parametrize(("environment", "account"), [
    ("registry", "111111111111"), ("dev", "222222222222"), ("prod", "333333333333"),
])
def test_committed_environments_load(environment, account):
    config = load_config(environment)
    assert config.environment == environment
    assert config.account_id == account
    assert config.state_key == f"mlops-infra/{environment}.tfstate"
    assert config.model_package_group_arn == (
        "arn:aws:sagemaker:us-east-1:111111111111:model-package-group/mammo-severity")


def test_workload_arns_are_derived_in_the_accounts_own_account():
    config = load_config("dev")
    assert config.sagemaker_execution_role_arn == "arn:aws:iam::222222222222:role/mammo-sagemaker-execution"
    assert config.pipeline_arn("Mammo-Train") == "arn:aws:sagemaker:us-east-1:222222222222:pipeline/mammo-train"
    assert config.latest_model_function_arn == (
        "arn:aws:lambda:us-east-1:222222222222:function:mammo-latest-approved-model")
    assert config.alert_topic_arn == "arn:aws:sns:us-east-1:222222222222:mammo-pipeline-alerts"
    assert config.model_artifacts_kms_alias_arn == "arn:aws:kms:us-east-1:111111111111:alias/mammo-model-artifacts"


def test_workload_accounts_have_the_jenkins_role_and_only_prod_schedules_inference():
    assert load_config("prod").jenkins.role_name == "cross-account-jenkins-role"
    assert load_config("dev").jenkins.role_name == "cross-account-jenkins-role"
    assert load_config("registry").jenkins is None
    assert load_config("prod").workload.inference_schedule.enabled is True
    assert load_config("dev").workload.inference_schedule.enabled is False


def test_registry_has_no_workload_and_says_so_when_one_is_needed():
    config = load_config("registry")
    assert config.workload is None
    with pytest.raises(ConfigError, match=r"registry\.tfvars\.json.*no 'workload' section"):
        _ = config.sagemaker_execution_role_arn


def test_unknown_environment_is_a_usage_error():
    with pytest.raises(UsageError, match=r"environment file not found \('stagin'\); did you mean 'staging'\?"):
        load_config("stagin")
    with pytest.raises(UsageError, match="invalid environment name 'Staging': use 1-20 lower-case letters"):
        load_config("Staging")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["accounts"].update(prod="33333333333"), r"field 'accounts\.prod' has invalid value '33333333333'"),
    (lambda d: d["accounts"].update(dev=222222222222), r"field 'accounts\.dev' must be a string"),
    (lambda d: d.update(environment="qa"), r"field 'accounts\.qa' is missing: the file's own account \(qa\)"),
    (lambda d: d["workload"].update(alert_email="team-at-example"), r"field 'workload\.alert_email' has invalid"),
    (lambda d: d["workload"]["inference_schedule"].update(expression="every day"),
     r"field 'workload\.inference_schedule\.expression' has invalid value 'every day': use an EventBridge"),
    (lambda d: d["workload"]["inference_schedule"].update(enabled="yes"),
     r"field 'workload\.inference_schedule\.enabled' must be true or false"),
    (lambda d: d["workload"]["pipeline"].update(auc_threshold=1.5),
     r"field 'workload\.pipeline\.auc_threshold' must be between 0 and 1"),
    (lambda d: d["workload"]["pipeline"].update(transform_instance_count=True),
     r"field 'workload\.pipeline\.transform_instance_count' must be an integer, got a boolean"),
    (lambda d: d["workload"]["pipeline"].update(model_approval_status="Maybe"),
     r"field 'workload\.pipeline\.model_approval_status' has invalid value 'Maybe'"),
    (lambda d: d["workload"]["pipeline"].update(drift_check_engine="clarify"),
     r"field 'workload\.pipeline\.drift_check_engine' has invalid value 'clarify': use one of model-monitor, "
     r"processing"),
    (lambda d: d["workload"]["pipeline"].pop("drift_check_engine"),
     r"field 'workload\.pipeline\.drift_check_engine' is missing"),
    (lambda d: d["workload"].update(alert_function_name="bad name"),
     r"field 'workload\.alert_function_name' has invalid value 'bad name'"),
    (lambda d: d["model_registry"].update(artifacts_bucket_name="Bad_Bucket"),
     r"field 'model_registry\.artifacts_bucket_name' has invalid value 'Bad_Bucket'"),
    (lambda d: d["workload"].pop("data_bucket_name"), r"field 'workload\.data_bucket_name' is missing"),
    (lambda d: d.update(workload=None), r"field 'workload' is required for the prod account"),
    (lambda d: d["jenkins"].update(log_retention_days=0), r"field 'jenkins\.log_retention_days' must be greater"),
    (lambda d: d["workload"]["serving"]["endpoints"][0].update(mode="serverless"),
     r"field 'workload\.serving\.endpoints\[0\]\.mode' has invalid value 'serverless': use one of single-model, "
     r"multi-model"),
    (lambda d: d["workload"]["serving"]["endpoints"][1].update(name="mammo-severity"),
     r"field 'workload\.serving\.endpoints' names endpoint 'mammo-severity' twice"),
    (lambda d: d["workload"]["serving"]["endpoints"][0].update(initial_instance_count=9),
     r"field 'workload\.serving\.endpoints\[0\]\.initial_instance_count' is 9: it must lie between"),
    (lambda d: d["workload"]["serving"]["endpoints"][0]["deployment"].update(traffic_step_percent=None),
     r"field 'workload\.serving\.endpoints\[0\]\.deployment\.traffic_step_percent' must be between 1 and 99 "
     r"for the canary strategy, got null"),
    (lambda d: d["workload"]["serving"]["endpoints"][1]["deployment"].update(traffic_step_percent=10),
     r"field 'workload\.serving\.endpoints\[1\]\.deployment\.traffic_step_percent' must be null for the "
     r"all-at-once strategy"),
    (lambda d: d["workload"]["serving"]["endpoints"][0]["deployment"].update(wait_interval_seconds=3601),
     r"field 'workload\.serving\.endpoints\[0\]\.deployment\.wait_interval_seconds' must be between 0 and 3600"),
    (lambda d: d["workload"]["serving"]["data_capture"].update(sampling_percent=101),
     r"field 'workload\.serving\.data_capture\.sampling_percent' must be between 0 and 100"),
    (lambda d: d["workload"]["serving"].update(models_prefix="/models/"),
     r"field 'workload\.serving\.models_prefix' has invalid value '/models/'"),
    (lambda d: d["workload"]["serving"]["endpoints"][0]["autoscaling"].update(enabled="yes"),
     r"field 'workload\.serving\.endpoints\[0\]\.autoscaling\.enabled' must be true or false"),
])
def test_invalid_field_is_named_with_file_and_fix(tmp_path, prod_document, mutate, message):
    document = copy.deepcopy(prod_document)
    mutate(document)
    path = write(tmp_path, document)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(path)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 2


def test_serving_is_optional_and_endpoints_are_found_by_name(tmp_path, prod_document):
    config = load_config_file(write(tmp_path, prod_document))
    endpoint = config.require_endpoint("mammo-severity")
    assert (endpoint.routing_type, endpoint.variant_name) == ("CANARY", "AllTraffic")
    assert endpoint.alarm_names == ("mammo-severity-invocation-5xx-errors", "mammo-severity-model-latency")
    assert [e.name for e in config.require_serving().multi_model_endpoints] == ["mammo-severity-versions"]
    # Off until the endpoint exists (AWS registers only a variant of an existing endpoint); the key may be left out.
    assert endpoint.autoscaling_enabled is False
    del prod_document["workload"]["serving"]["endpoints"][0]["autoscaling"]["enabled"]
    prod_document["workload"]["serving"]["endpoints"][1]["autoscaling"]["enabled"] = True
    reloaded = load_config_file(write(tmp_path, prod_document)).require_serving().endpoints
    assert [e.autoscaling_enabled for e in reloaded] == [False, True]
    with pytest.raises(ConfigError, match=r"no endpoint 'mammo-severty' .*did you mean 'mammo-severity'"):
        config.require_endpoint("mammo-severty")
    document = copy.deepcopy(prod_document)
    del document["workload"]["serving"]
    without = load_config_file(write(tmp_path, document))
    assert without.workload.serving is None
    with pytest.raises(ConfigError, match=r"field .workload\.serving. is null: the prod account serves no endpoints"):
        without.require_endpoint("mammo-severity")


def test_the_training_time_limit_defaults_to_one_day_for_a_file_of_the_v2_based_version(tmp_path, prod_document):
    assert load_config_file(write(tmp_path, prod_document)).workload.pipeline.training_max_runtime_seconds == 86400
    document = copy.deepcopy(prod_document)
    document["workload"]["pipeline"]["training_max_runtime_seconds"] = 7200
    assert load_config_file(write(tmp_path, document)).workload.pipeline.training_max_runtime_seconds == 7200
    del document["workload"]["pipeline"]["training_max_runtime_seconds"]
    assert load_config_file(write(tmp_path, document)).workload.pipeline.training_max_runtime_seconds == 86400


def test_registry_file_must_not_carry_a_workload(tmp_path, prod_document):
    document = copy.deepcopy(prod_document)
    document["environment"] = "registry"
    with pytest.raises(ConfigError, match="field 'workload' must be null for the registry account"):
        load_config_file(write(tmp_path, document, "registry.tfvars.json"))


def test_file_for_another_environment_is_refused(tmp_path, prod_document):
    write(tmp_path, prod_document, "dev.tfvars.json")
    with pytest.raises(ConfigError, match="field 'environment' is 'prod' but the file is for 'dev'"):
        load_config("dev", environments_dir=tmp_path)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="environment file not found"):
        load_config("dev", environments_dir=tmp_path)
    (tmp_path / "dev.tfvars.json").write_text('{"environment": "dev",\n  oops}')
    with pytest.raises(ConfigError, match=r"not valid JSON \(line 2, column 3"):
        load_config("dev", environments_dir=tmp_path)


@pytest.fixture
def dev_document():
    return json.loads((ENVIRONMENTS_DIR / "dev.tfvars.json").read_text())


@pytest.mark.parametrize(("mutate", "message"), [
    # ASCII digits only, matched whole: what Terraform's regex accepts, nothing more.
    (lambda d: d["accounts"].update(prod="333333333333\n"),
     r"field 'accounts\.prod' has invalid value '333333333333\\n'"),
    (lambda d: d["accounts"].update(dev="\uff12" * 12), r"field 'accounts\.dev' has invalid value"),
    (lambda d: d["accounts"].update(dev="333333333333"),
     r"fields accounts\.prod and accounts\.dev are the same account: each environment \(and tooling\) must be an "
     r"account of its own"),
    (lambda d: d["accounts"].update(tooling="111111111111"), r"fields accounts\.tooling and accounts\.registry are"),
    (lambda d: d.update(aws_region="us-esat-1"),
     r"field 'aws_region' has invalid value 'us-esat-1': not an AWS region; did you mean 'us-east-1'\?"),
    (lambda d: d["workload"].update(alert_topic_name="alertés"), r"field 'workload\.alert_topic_name' has invalid"),
    (lambda d: d["model_registry"].update(approver_role_name="bad role"),
     r"field 'model_registry\.approver_role_name' has invalid value 'bad role'"),
    (lambda d: d["model_registry"].pop("approver_role_name"), r"field 'model_registry\.approver_role_name' is missing"),
    (lambda d: d["workload"]["pipeline"].update(allow_auto_approval=True),
     r"field 'workload\.pipeline\.allow_auto_approval' must be false where jenkins\.apply_submitter is set"),
    (lambda d: d["workload"]["pipeline"].update(allow_auto_approval="true"),
     r"field 'workload\.pipeline\.allow_auto_approval' must be true or false"),
    (lambda d: d["workload"]["pipeline"].update(model_approval_status="Approved"),
     r"field 'workload\.pipeline\.model_approval_status' is 'Approved': use PendingManualApproval \(versions are "
     r"approved with approve-model\), or set 'workload\.pipeline\.allow_auto_approval' to true \(only where "
     r"jenkins\.apply_submitter is null\)"),
    (lambda d: d["model_registry"].update(access_log_bucket_name=d["model_registry"]["artifacts_bucket_name"]),
     r"field 'model_registry\.access_log_bucket_name' is 'mammo-model-artifacts-111111111111', the name of "
     r"model_registry\.artifacts_bucket_name: a bucket cannot log to itself$"),
    (lambda d: d["model_registry"].update(kms_alias="alias/aws/s3"),
     r"field 'model_registry\.kms_alias' has invalid value 'alias/aws/s3': alias/aws/ is reserved for AWS managed "
     r"keys; name a customer managed key's alias$"),
    (lambda d: d["workload"].update(kms_alias="alias/aws/s3"), r"field 'workload\.kms_alias' has invalid value "
                                                               r"'alias/aws/s3': alias/aws/ is reserved"),
    (lambda d: d["workload"].update(inference_pipeline_name="MAMMO-TRAIN"),
     r"field 'workload\.inference_pipeline_name' is 'MAMMO-TRAIN', the name of workload\.train_pipeline_name: the "
     r"two pipelines need different names \(pipeline ARNs are case-insensitive\)$"),
    (lambda d: d["workload"]["inference_schedule"].update(expression="rate(0 days)"),
     r"field 'workload\.inference_schedule\.expression' has invalid value 'rate\(0 days\)': use an EventBridge"),
    (lambda d: d["workload"]["inference_schedule"].update(expression="cron(0 6 * * ?)"),
     r"field 'workload\.inference_schedule\.expression' has invalid value 'cron\(0 6 \* \* \?\)': an EventBridge "
     r"cron\(\) has exactly six fields \(minutes hours day-of-month month day-of-week year\), e\.g\. "
     r"cron\(0 6 \* \* \? \*\)$"),
    (lambda d: d["workload"]["inference_schedule"].update(expression="cron(0  6 * * ? *)"),
     r"field 'workload\.inference_schedule\.expression' has invalid value 'cron\(0  6 .*exactly six fields"),
    (lambda d: d["jenkins"].update(log_retention_days=2),
     r"field 'jenkins\.log_retention_days' has invalid value 2: use a retention CloudWatch Logs accepts: 1, 3, 5, "
     r"7, 14, 30, .*, 3288, 3653$"),
])
def test_what_terraform_rejects_is_rejected_with_file_and_field(tmp_path, prod_document, mutate, message):
    document = copy.deepcopy(prod_document)
    mutate(document)
    path = write(tmp_path, document)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(path)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_registry_file_must_not_set_jenkins(tmp_path, prod_document):
    registry = json.loads((ENVIRONMENTS_DIR / "registry.tfvars.json").read_text())
    registry["jenkins"] = prod_document["jenkins"]
    with pytest.raises(ConfigError, match=r"registry\.tfvars\.json: field 'jenkins' must be null for the registry "
                                          r"account: its role deploys a workload account's workload$"):
        load_config_file(write(tmp_path, registry, "registry.tfvars.json"))


def test_a_rate_of_minutes_and_a_six_field_cron_are_read(tmp_path, prod_document):
    for expression in ("rate(5 minutes)", "cron(15 10 ? * MON-FRI *)"):
        prod_document["workload"]["inference_schedule"]["expression"] = expression
        assert load_config_file(write(tmp_path, prod_document)).workload.inference_schedule.expression == expression


def test_only_an_environment_without_apply_approval_may_allow_auto_approval(tmp_path, dev_document):
    assert load_config("dev").workload.pipeline.allow_auto_approval is False
    dev_document["workload"]["pipeline"].update(allow_auto_approval=True, model_approval_status="Approved")
    settings = load_config_file(write(tmp_path, dev_document, "dev.tfvars.json")).workload.pipeline
    assert (settings.allow_auto_approval, settings.model_approval_status) == (True, "Approved")
    del dev_document["workload"]["pipeline"]["allow_auto_approval"]
    with pytest.raises(ConfigError, match=r"'workload\.pipeline\.model_approval_status' is 'Approved'"):
        load_config_file(write(tmp_path, dev_document, "dev.tfvars.json"))


@pytest.mark.parametrize(("environment", "listed", "message"), [
    ("registry", ["qa"], r"registry\.tfvars\.json: field 'model_registry\.auto_approving_environments\[0\]' names "
                         r"'qa', which is not in 'promotion' \(dev, staging, prod\): list an environment of the "
                         r"promotion"),
    ("registry", ["dev", "dev"], r"field 'model_registry\.auto_approving_environments\[1\]' names 'dev' twice"),
    ("registry", ["staging"], r"field 'model_registry\.auto_approving_environments\[0\]' names 'staging', a later "
                              r"stage of 'promotion': only 'dev' \(where models are trained\) may register versions "
                              r"Approved; a later stage doing so would let them reach production inference with "
                              r"nobody having reviewed them"),
    ("registry", [7], r"field 'model_registry\.auto_approving_environments\[0\]' must be an environment name, got 7"),
    ("registry", "dev", r"field 'model_registry\.auto_approving_environments' must be a list, got \"dev\""),
    ("dev", ["dev"], r"dev\.tfvars\.json: field 'model_registry\.auto_approving_environments' must be empty in a "
                     r"workload file: list the environments in the registry file's"),
])
def test_only_the_promotions_first_environment_may_auto_approve(tmp_path, environment, listed, message):
    document = json.loads((ENVIRONMENTS_DIR / f"{environment}.tfvars.json").read_text())
    document["model_registry"]["auto_approving_environments"] = listed
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(write(tmp_path, document, f"{environment}.tfvars.json"))
    assert raised.value.exit_code == 2


def test_auto_approving_environments_may_be_left_out_or_list_the_first_environment(tmp_path):
    document = json.loads((ENVIRONMENTS_DIR / "registry.tfvars.json").read_text())
    del document["model_registry"]["auto_approving_environments"]
    assert load_config_file(write(tmp_path, document, "registry.tfvars.json")).model_registry \
        .auto_approving_environments == ()
    document["model_registry"]["auto_approving_environments"] = ["dev"]
    assert load_config_file(write(tmp_path, document, "registry.tfvars.json")).model_registry \
        .auto_approving_environments == ("dev",)


TOOLING_ROLE = "arn:aws:iam::123456789012:role"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["model_registry"].update(approver_trusted_principal_arns=[]),
     r"field 'model_registry\.approver_trusted_principal_arns' must list at least one value"),
    (lambda d: d["model_registry"].update(approver_trusted_principal_arns=f"{TOOLING_ROLE}/approvers"),
     r"field 'model_registry\.approver_trusted_principal_arns' must be a list of strings"),
    (lambda d: d["model_registry"].pop("approver_trusted_principal_arns"),
     r"field 'model_registry\.approver_trusted_principal_arns' is missing"),
    (lambda d: d["model_registry"].update(approver_trusted_principal_arns=["arn:aws:iam::123456789012:root"]),
     r"field 'model_registry\.approver_trusted_principal_arns\[0\]' has invalid value 'arn:aws:iam::123456789012:"
     r"root': use an IAM role or user ARN"),
    (lambda d: d["model_registry"].update(approver_trusted_principal_arns=[f"{TOOLING_ROLE}/a", f"{TOOLING_ROLE}/*"]),
     r"field 'model_registry\.approver_trusted_principal_arns\[1\]' has invalid value .*no '\*'"),
    (lambda d: d["model_registry"].update(approver_trusted_principal_arns=[42]),
     r"field 'model_registry\.approver_trusted_principal_arns\[0\]' must be a string, got 42"),
    (lambda d: d["jenkins"].update(principal_arn="arn:aws:iam::123456789012:root"),
     r"field 'jenkins\.principal_arn' has invalid value 'arn:aws:iam::123456789012:root': use an IAM role or user"),
    (lambda d: d["jenkins"].update(principal_arn=f"{TOOLING_ROLE}/*"), r"field 'jenkins\.principal_arn' has invalid"),
    (lambda d: d["jenkins"].update(principal_arn="arn:aws:iam::333333333333:role/jenkins"),
     r"field 'jenkins\.principal_arn' has invalid value 'arn:aws:iam::333333333333:role/jenkins': Jenkins runs in "
     r"the tooling account \(accounts\.tooling, 123456789012\)"),
    (lambda d: d["jenkins"].pop("principal_arn"), r"field 'jenkins\.principal_arn' is missing"),
    (lambda d: d["jenkins"].update(external_id="x"),
     r"field 'jenkins\.external_id' has invalid value 'x': use null or 2-1224 of"),
    (lambda d: d["jenkins"].update(external_id="x" * 1225), r"field 'jenkins\.external_id' has invalid value"),
    (lambda d: d["jenkins"].update(external_id="mlops jenkins"), r"field 'jenkins\.external_id' has invalid value"),
    (lambda d: d["jenkins"].update(external_id=7), r"field 'jenkins\.external_id' must be a string, got 7"),
    (lambda d: d["jenkins"].update(apply_submitter=""),
     r"field 'jenkins\.apply_submitter' has invalid value '': use null \(no approval\) or name the Jenkins users"),
    (lambda d: d["jenkins"].update(apply_submitter="approvers,,alice"),
     r"field 'jenkins\.apply_submitter' has invalid value 'approvers,,alice'"),
    (lambda d: d["jenkins"].update(apply_submitter="approvers,"),
     r"field 'jenkins\.apply_submitter' has invalid value 'approvers,'"),
    (lambda d: d["jenkins"].pop("apply_submitter"), r"field 'jenkins\.apply_submitter' is missing"),
])
def test_approvers_and_the_jenkins_principal_follow_terraforms_rules(tmp_path, prod_document, mutate, message):
    document = copy.deepcopy(prod_document)
    mutate(document)
    path = write(tmp_path, document)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(path)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 2


def test_approvers_and_the_jenkins_principal_are_read(tmp_path, prod_document):
    for environment in environments():
        assert load_config(environment).model_registry.approver_trusted_principal_arns == (
            f"{TOOLING_ROLE}/mammo-model-approvers",)
    jenkins = load_config("prod").jenkins
    assert (jenkins.principal_arn, jenkins.external_id, jenkins.apply_submitter) == (
        f"{TOOLING_ROLE}/jenkins", None, "mlops-prod-approvers")
    assert load_config("dev").jenkins.log_retention_days == 365
    prod_document["jenkins"].update(external_id="mlops-jenkins:prod/1", apply_submitter="Prod Approvers, alice")
    prod_document["model_registry"]["approver_trusted_principal_arns"] = [
        "arn:aws:iam::123456789012:user/alice", "arn:aws-us-gov:iam::123456789012:role/team/approvers"]
    config = load_config_file(write(tmp_path, prod_document))
    assert (config.jenkins.external_id, config.jenkins.apply_submitter) == (
        "mlops-jenkins:prod/1", "Prod Approvers, alice")
    assert config.model_registry.approver_trusted_principal_arns == (
        "arn:aws:iam::123456789012:user/alice", "arn:aws-us-gov:iam::123456789012:role/team/approvers")
    del prod_document["jenkins"]["external_id"]  # optional: missing reads as null
    assert load_config_file(write(tmp_path, prod_document)).jenkins.external_id is None


def test_the_approver_role_is_in_the_registry_account():
    for environment in environments():
        assert load_config(environment).approver_role_arn == "arn:aws:iam::111111111111:role/mammo-model-approver"


def test_unknown_fields_are_warned_with_the_closest_known_one(tmp_path, dev_document, caplog):
    dev_document["workload"]["pipeline"]["allow_auto_aproval"] = True
    dev_document["aws_regoin"] = "us-east-1"
    dev_document["completely_new"] = 1
    path = write(tmp_path, dev_document, "dev.tfvars.json")
    with caplog.at_level("WARNING", logger="pipelines.config"):
        config = load_config_file(path)
    assert config.workload.pipeline.allow_auto_approval is False  # the misspelt key is not read
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == [
        f"{path}: unknown field 'aws_regoin' is ignored; did you mean 'aws_region'?",
        f"{path}: unknown field 'completely_new' is ignored",
        f"{path}: unknown field 'workload.pipeline.allow_auto_aproval' is ignored; "
        "did you mean 'workload.pipeline.allow_auto_approval'?",
    ]


def test_committed_files_have_no_unknown_field(caplog):
    with caplog.at_level("WARNING", logger="pipelines.config"):
        for environment in ("registry", "dev", "prod"):
            load_config(environment)
    assert caplog.records == []


def test_a_file_that_is_not_utf8_is_named(tmp_path, dev_document):
    path = tmp_path / "dev.tfvars.json"
    path.write_bytes(json.dumps(dev_document).replace("mammo-train", "mammo-tr\u00e4in").encode("latin-1"))
    with pytest.raises(ConfigError, match=rf"{path}: environment file is not UTF-8 text \(byte \d+: invalid "
                                          r"continuation byte\): save it as UTF-8") as raised:
        load_config("dev", environments_dir=tmp_path)
    assert raised.value.exit_code == 2


def test_a_directory_where_the_file_belongs_is_named(tmp_path):
    (tmp_path / "dev.tfvars.json").mkdir()
    with pytest.raises(ConfigError, match=rf"{tmp_path / 'dev.tfvars.json'}: is a directory; give the path of the "
                                          "environment file"):
        load_config("dev", environments_dir=tmp_path)


def test_an_unreadable_file_is_named(tmp_path, dev_document, monkeypatch):
    path = write(tmp_path, dev_document, "dev.tfvars.json")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads a file whatever its mode: the refusal a user would get is simulated here
        original = Path.read_text

        def refuse(self, *args, **kwargs):
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Path, "read_text", refuse)
    with pytest.raises(ConfigError, match=rf"{path}: environment file is not readable \(permission denied\)"):
        load_config("dev", environments_dir=tmp_path)


def test_config_errors_reach_the_command_line_as_one_line_and_exit_2(tmp_path, dev_document, monkeypatch, capsys):
    from pipelines.cli import run_pipeline

    dev_document["aws_region"] = "us-esat-1"
    write(tmp_path, dev_document, "dev.tfvars.json")
    monkeypatch.setenv("MLOPS_ENVIRONMENTS_DIR", str(tmp_path))
    assert run_pipeline.main(["--env", "dev", "--pipeline", "train"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"run-pipeline: error: {tmp_path / 'dev.tfvars.json'}: field 'aws_region' has "
                                "invalid value 'us-esat-1': not an AWS region; did you mean 'us-east-1'?"]


def test_an_unknown_field_is_warned_once_per_file(tmp_path, dev_document, caplog):
    dev_document["jenkins"]["role_nam"] = "x"
    path = write(tmp_path, dev_document, "dev.tfvars.json")
    with caplog.at_level("WARNING", logger="pipelines.config"):
        load_config_file(path)
        load_config_file(path)
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}: unknown field 'jenkins.role_nam' is ignored; did you mean 'jenkins.role_name'?"]


def warehouse_of(document: dict) -> dict:
    return document["workload"]["pipeline"]["training_data"]["warehouse"]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["workload"]["pipeline"]["training_data"].update(source="lake"),
     r"field 'workload\.pipeline\.training_data\.source' has invalid value 'lake': use one of s3, warehouse$"),
    (lambda d: d["workload"]["pipeline"]["training_data"].update(source="warehouse", warehouse=None),
     r"field 'workload\.pipeline\.training_data\.warehouse' is missing: the warehouse source needs"),
    (lambda d: warehouse_of(d).update(start_date="2024-02-30"),
     r"field 'workload\.pipeline\.training_data\.warehouse\.start_date' has invalid value '2024-02-30': not a "
     r"calendar date"),
    (lambda d: warehouse_of(d).update(end_date="2023-12-31"),
     r"field 'workload\.pipeline\.training_data\.warehouse\.end_date' must not be before start_date"),
    (lambda d: warehouse_of(d).update(table="masses; DROP TABLE x"),
     r"field 'workload\.pipeline\.training_data\.warehouse\.table' has invalid value 'masses; DROP TABLE x'"),
    (lambda d: warehouse_of(d).update({"secret_name": "has space"}),
     r"field 'workload\.pipeline\.training_data\.warehouse\.secret_name' has invalid value 'has space'"),
    (lambda d: warehouse_of(d).update(subnet_ids=["subnet-0123456789abcdef0"]),
     r"field 'workload\.pipeline\.training_data\.warehouse\.subnet_ids' and security_group_ids must both be set"),
    (lambda d: warehouse_of(d).update(subnet_ids=["vpc-1"], security_group_ids=["sg-0123456789abcdef0"]),
     r"field 'workload\.pipeline\.training_data\.warehouse\.subnet_ids\[0\]' has invalid value \"vpc-1\""),
])
def test_training_data_errors_name_the_field(tmp_path, prod_document, mutate, message):
    document = copy.deepcopy(prod_document)
    mutate(document)
    with pytest.raises(ConfigError, match=message):
        load_config_file(write(tmp_path, document))


def test_training_data_is_optional_and_read(tmp_path, prod_document):
    document = copy.deepcopy(prod_document)
    warehouse_of(document).update(subnet_ids=["subnet-0123456789abcdef0"], security_group_ids=["sg-0123456789abcdef0"])
    data = load_config_file(write(tmp_path, document)).workload.pipeline.training_data
    assert (data.source, data.warehouse.secret_name, data.warehouse.table) == (
        "s3", "mammo-warehouse-connection", "mammographic_masses")
    assert (data.warehouse.subnet_ids, data.warehouse.security_group_ids) == (
        ("subnet-0123456789abcdef0",), ("sg-0123456789abcdef0",))
    del document["workload"]["pipeline"]["training_data"]
    data = load_config_file(write(tmp_path, document)).workload.pipeline.training_data
    assert (data.source, data.warehouse) == ("s3", None)
# ---------------------------------------------------------------------- secondary_region

def test_the_secondary_region_is_read_with_the_replica_names():
    registry, dev, prod = (load_config(environment) for environment in ("registry", "dev", "prod"))
    assert dev.secondary_region is None  # absent: one region, nothing else changes
    for config in (registry, prod):
        secondary = config.require_secondary_region()
        assert (secondary.region, secondary.replication_enabled, secondary.replicate_delete_markers) == (
            "us-west-2", True, False)
        assert secondary.replica_artifacts_bucket_name == "mammo-model-artifacts-replica-111111111111"
        assert config.replica_artifacts_kms_alias_arn == (
            "arn:aws:kms:us-west-2:111111111111:alias/mammo-model-artifacts-replica")
        assert config.replica_artifact_uri("s3://mammo-model-artifacts-111111111111/dev/job/model.tar.gz") == (
            "s3://mammo-model-artifacts-replica-111111111111/dev/job/model.tar.gz")


def test_without_a_secondary_region_the_accessors_name_the_field():
    config = load_config("dev")
    with pytest.raises(ConfigError, match=r"dev\.tfvars\.json: field 'secondary_region' is not set: add it"):
        _ = config.replica_artifacts_kms_alias_arn


def test_a_null_secondary_region_is_one_region(tmp_path, prod_document):
    prod_document["secondary_region"] = None
    assert load_config_file(write(tmp_path, prod_document)).secondary_region is None


def test_only_artifacts_bucket_objects_have_replicas():
    with pytest.raises(ConfigError, match=r"'s3://mammo-data-333333333333/x' is not in the model-artifacts bucket"):
        load_config("prod").replica_artifact_uri("s3://mammo-data-333333333333/x")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda s: s.update(region="us-east-1"),
     r"field 'secondary_region\.region' is 'us-east-1', the same as 'aws_region': name another region"),
    (lambda s: s.update(region="us-wset-2"),
     r"field 'secondary_region\.region' has invalid value 'us-wset-2': not an AWS region; did you mean 'us-west-2'\?"),
    (lambda s: s.update(region="US-WEST-2"),
     r"field 'secondary_region\.region' has invalid value 'US-WEST-2': use a region code such as us-east-1"),
    (lambda s: s.update(region="cn-north-1"),
     r"field 'secondary_region\.region' has invalid value 'cn-north-1': it is in partition aws-cn, 'aws_region' "
     r"\(us-east-1\) in aws; S3 replicates within one partition"),
    (lambda s: s.pop("region"), r"field 'secondary_region\.region' is missing"),
    (lambda s: s.update(replication_enabled="yes"), r"field 'secondary_region\.replication_enabled' must be true or"),
    (lambda s: s.update(replicate_delete_markers=1),
     r"field 'secondary_region\.replicate_delete_markers' must be true or false"),
    (lambda s: s.update(replica_artifacts_bucket_name="mammo-model-artifacts-111111111111"),
     r"field 'secondary_region\.replica_artifacts_bucket_name' is 'mammo-model-artifacts-111111111111', the name of "
     r"model_registry\.artifacts_bucket_name: bucket names are global"),
    (lambda s: s.update(replica_artifacts_bucket_name="Replica_Bucket"),
     r"field 'secondary_region\.replica_artifacts_bucket_name' has invalid value 'Replica_Bucket'"),
    (lambda s: s.update(replica_kms_alias="mammo-replica"),
     r"field 'secondary_region\.replica_kms_alias' has invalid value 'mammo-replica': a KMS alias starts with"),
    (lambda s: s.update(replica_kms_alias="alias/aws/s3"),
     r"field 'secondary_region\.replica_kms_alias' has invalid value 'alias/aws/s3': alias/aws/ is reserved"),
])
def test_a_bad_secondary_region_is_named_and_exits_2(tmp_path, prod_document, mutate, message):
    mutate(prod_document["secondary_region"])
    path = write(tmp_path, prod_document)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(path)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_misspelt_secondary_region_field_is_warned(tmp_path, prod_document, caplog):
    prod_document["secondary_region"]["replicate_delete_marker"] = True
    path = write(tmp_path, prod_document)
    with caplog.at_level("WARNING", logger="pipelines.config"):
        assert load_config_file(path).secondary_region.replicate_delete_markers is False
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}: unknown field 'secondary_region.replicate_delete_marker' is ignored; "
        "did you mean 'secondary_region.replicate_delete_markers'?"]


def test_a_file_without_the_secondary_region_key_is_one_region(tmp_path, prod_document):
    del prod_document["secondary_region"]  # files written before the block existed
    assert load_config_file(write(tmp_path, prod_document)).secondary_region is None


def test_the_secondary_region_serves_the_single_model_endpoints_by_default():
    assert load_config("prod").require_secondary_region().endpoints == ("mammo-severity",)
    assert load_config("registry").require_secondary_region().endpoints == ()  # it serves no endpoints
    assert load_config("prod").require_secondary_endpoint("mammo-severity").name == "mammo-severity"


@pytest.mark.parametrize(("endpoints", "replication", "message"), [
    (["mammo-severty"], True, r"field 'secondary_region\.endpoints\[0\]' has invalid value 'mammo-severty': not an "
                              r"endpoint of 'workload\.serving\.endpoints'; did you mean 'mammo-severity'\?"),
    (["mammo-severity-versions"], True, r"field 'secondary_region\.endpoints\[0\]' has invalid value "
                                        r"'mammo-severity-versions': it is multi-model"),
    (["mammo-severity", "mammo-severity"], True, r"field 'secondary_region\.endpoints' lists an endpoint twice"),
    ([], True, r"field 'secondary_region\.endpoints' must list at least one value"),
    (["mammo-severity"], False, r"field 'secondary_region\.endpoints' lists endpoints to deploy in the secondary "
                                r"region but 'secondary_region\.replication_enabled' is false"),
])
def test_bad_secondary_endpoints_are_named(tmp_path, prod_document, endpoints, replication, message):
    prod_document["secondary_region"].update(endpoints=endpoints, replication_enabled=replication)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(write(tmp_path, prod_document))
    assert raised.value.exit_code == 2


def test_secondary_endpoints_in_an_account_without_endpoints_are_refused(tmp_path):
    document = json.loads((ENVIRONMENTS_DIR / "registry.tfvars.json").read_text())
    document["secondary_region"]["endpoints"] = ["mammo-severity"]
    with pytest.raises(ConfigError, match=r"field 'secondary_region\.endpoints' is set but this account serves no "
                                          r"endpoints"):
        load_config_file(write(tmp_path, document, "registry.tfvars.json"))


def test_a_secondary_deploy_with_replication_off_or_an_unlisted_endpoint_is_refused(tmp_path, prod_document):
    prod_document["secondary_region"]["replication_enabled"] = False
    config = load_config_file(write(tmp_path, prod_document))
    with pytest.raises(ConfigError, match=r"'secondary_region\.replication_enabled' is false, but a deploy of "
                                          r"mammo-severity in the secondary region \(us-west-2\) was requested"):
        config.require_secondary_endpoint("mammo-severity")
    with pytest.raises(ConfigError, match=r"endpoint 'mammo-severity-versions' is not in "
                                          r"'secondary_region\.endpoints' \(mammo-severity\)"):
        load_config("prod").require_secondary_endpoint("mammo-severity-versions")
