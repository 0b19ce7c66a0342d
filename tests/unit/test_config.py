"""pipelines.config: the typed view of environments/*.tfvars.json, and its errors naming file and field."""

import copy
import json

import pytest

from pipelines.config import ENVIRONMENTS_DIR, load_config, load_config_file
from pipelines.errors import ConfigError, UsageError


@pytest.fixture
def prod_document():
    return json.loads((ENVIRONMENTS_DIR / "prod.tfvars.json").read_text())


def write(tmp_path, document, name="prod.tfvars.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


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
    with pytest.raises(UsageError, match="unknown environment 'staging': use one of registry, dev, prod"):
        load_config("staging")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["accounts"].update(prod="33333333333"), r"field 'accounts\.prod' has invalid value '33333333333'"),
    (lambda d: d["accounts"].update(dev=222222222222), r"field 'accounts\.dev' must be a string"),
    (lambda d: d.update(environment="qa"), r"field 'environment' has invalid value 'qa': use one of"),
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
])
def test_invalid_field_is_named_with_file_and_fix(tmp_path, prod_document, mutate, message):
    document = copy.deepcopy(prod_document)
    mutate(document)
    path = write(tmp_path, document)
    with pytest.raises(ConfigError, match=message) as raised:
        load_config_file(path)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 2


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
