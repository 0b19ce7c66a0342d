"""`mlops-local ack`: the controller stand-in maps exported manifests to SageMaker calls on the local stack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support import wait_for_end
from support.platform import provision_execution_role

from localaws import cli as local_cli
from localaws.tools.ack import AckController
from localaws.tools.stack import local_dir
from pipelines import run_pipeline
from pipelines.cli import export_ack_manifests as export_cli
from pipelines.config import load_config
from pipelines.errors import UsageError
from pipelines.train import pipeline as train_pipeline

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

PIPELINE_FILE = "pipeline-mammo-train.yaml"
EXECUTION_FILE = "pipelineexecution-mammo-train-execution.yaml"
WRITES = {"CreatePipeline", "UpdatePipeline", "DeletePipeline", "AddTags", "DeleteTags", "StartPipelineExecution",
          "StopPipelineExecution", "UpdatePipelineExecution"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The train pipeline and an execution, as `export-ack-manifests` writes them."""
    out = tmp_path_factory.mktemp("ack-manifests")
    assert export_cli.main(["--env", "dev", "--pipeline", "train", "--execution", "--out", str(out)]) == 0
    return out


@pytest.fixture
def manifests(exported, tmp_path) -> Path:
    copy = tmp_path / "manifests"
    shutil.copytree(exported, copy)
    return copy


@pytest.fixture(autouse=True)
def _local_dir_per_test(tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path / "local"))  # the resources' files, per test


@pytest.fixture
def calls(dev_session) -> list[str]:
    """Every SageMaker operation the controller's client sends, in order."""
    sent: list[str] = []
    dev_session.events.register("before-call.sagemaker", lambda model, **_: sent.append(model.name))
    return sent


@pytest.fixture
def controller(dev_session, calls) -> AckController:
    return AckController("dev", session=dev_session)


def writes(calls: list[str]) -> list[str]:
    return [call for call in calls if call in WRITES]


def test_apply_creates_the_pipeline_and_writes_its_status_back(controller, manifests, calls, dev_session):
    [change] = controller.apply([manifests / PIPELINE_FILE])

    assert change.action == "created (CreatePipeline)"
    assert writes(calls) == ["CreatePipeline"]
    manifest = yaml.safe_load((manifests / PIPELINE_FILE).read_text())
    stored = dev_session.client("sagemaker").describe_pipeline(PipelineName="mammo-train")
    assert stored["PipelineDefinition"] == manifest["spec"]["pipelineDefinition"]
    assert stored["RoleArn"] == manifest["spec"]["roleARN"]
    resource = yaml.safe_load((local_dir() / "ack" / "default" / "pipeline" / "mammo-train.yaml").read_text())
    assert resource["spec"] == manifest["spec"]
    status = resource["status"]
    assert status["ackResourceMetadata"] == {"arn": stored["PipelineArn"], "ownerAccountID": ACCOUNTS.dev,
                                             "region": "us-east-1"}
    assert status["pipelineStatus"] == "Active"
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [("ACK.ResourceSynced", "True")]
    tags = dev_session.client("sagemaker").list_tags(ResourceArn=stored["PipelineArn"])["Tags"]
    assert {"Key": "Environment", "Value": "dev"} in tags


def test_reapplying_an_unchanged_pipeline_makes_no_update_call(controller, manifests, calls, dev_session):
    controller.apply([manifests / PIPELINE_FILE])
    before = dev_session.client("sagemaker").describe_pipeline(PipelineName="mammo-train")["LastModifiedTime"]
    calls.clear()

    [change] = controller.apply([manifests / PIPELINE_FILE])

    assert change.action == "unchanged (no call)"
    assert writes(calls) == []
    assert calls, "the controller did read the pipeline"
    after = dev_session.client("sagemaker").describe_pipeline(PipelineName="mammo-train")["LastModifiedTime"]
    assert after == before


def test_a_changed_field_is_updated_and_tags_are_synced(controller, manifests, calls, dev_session):
    controller.apply([manifests / PIPELINE_FILE])
    path = manifests / PIPELINE_FILE
    document = yaml.safe_load(path.read_text())
    document["spec"]["pipelineDescription"] = "owned by the platform team"
    document["spec"]["tags"] = [{"key": "Environment", "value": "dev"}, {"key": "Team", "value": "ml"}]
    path.write_text(yaml.safe_dump(document))
    calls.clear()

    [change] = controller.apply([path])

    assert change.action == "updated (UpdatePipeline: pipelineDescription)"
    assert sorted(writes(calls)) == ["AddTags", "DeleteTags", "UpdatePipeline"]
    sagemaker = dev_session.client("sagemaker")
    stored = sagemaker.describe_pipeline(PipelineName="mammo-train")
    assert stored["PipelineDescription"] == "owned by the platform team"
    tags = {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=stored["PipelineArn"])["Tags"]}
    assert tags == {"Environment": "dev", "Team": "ml"}


def test_an_invalid_manifest_in_the_folder_applies_nothing(dev_session, calls, manifests, capsys):
    (manifests / "broken.yaml").write_text((manifests / EXECUTION_FILE).read_text().replace(
        "pipelineName:", "pipelineNmae:"))

    status = local_cli.main(["ack", "apply", "-f", str(manifests)])

    assert status == 2
    assert "broken.yaml:6: spec.pipelineNmae: unknown field; did you mean pipelineName?" in capsys.readouterr().err
    assert writes(calls) == []
    assert not (local_dir() / "ack").exists()


def test_cli_apply_get_and_delete_a_pipeline(dev_session, manifests, capsys):
    assert local_cli.main(["ack", "apply", "-f", str(manifests / PIPELINE_FILE)]) == 0
    assert "pipeline/mammo-train (default): created (CreatePipeline)" in capsys.readouterr().out

    assert local_cli.main(["ack", "get"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["NAMESPACE", "KIND", "NAME", "STATUS", "SYNCED"]
    assert table[1].split() == ["default", "Pipeline", "mammo-train", "Active", "True"]

    assert local_cli.main(["ack", "get", "pipelines", "mammo-train", "-o", "yaml"]) == 0
    resource = yaml.safe_load(capsys.readouterr().out)
    assert resource["status"]["ackResourceMetadata"]["ownerAccountID"] == ACCOUNTS.dev

    assert local_cli.main(["ack", "delete", "pipeline", "mammo-train"]) == 0
    assert "pipeline/mammo-train (default): deleted (DeletePipeline)" in capsys.readouterr().out
    names = [p["PipelineName"] for p in dev_session.client("sagemaker").list_pipelines()["PipelineSummaries"]]
    assert names == []
    assert local_cli.main(["ack", "get", "pipeline", "mammo-train"]) == 2
    assert 'pipeline/mammo-train not found in namespace "default"' in capsys.readouterr().err


@pytest.fixture
def execution_role(dev_session) -> str:
    """The pipeline's role, which SageMaker assumes to run an execution (as Terraform creates it)."""
    return provision_execution_role(dev_session, load_config("dev"))


def test_a_started_execution_is_not_started_again_and_its_fixed_fields_cannot_change(controller, manifests, calls,
                                                                                      execution_role):
    controller.apply([manifests])
    assert writes(calls) == ["CreatePipeline", "StartPipelineExecution"]
    calls.clear()

    changes = controller.apply([manifests])
    assert [change.action for change in changes] == ["unchanged (no call)", "unchanged (no call)"]
    assert writes(calls) == []

    path = manifests / EXECUTION_FILE
    document = yaml.safe_load(path.read_text())
    document["spec"]["pipelineParameters"] = [{"name": "AucScoreThreshold", "value": "0.9"}]
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(UsageError, match=r"spec\.pipelineParameters cannot change once the execution started"):
        controller.apply([manifests])
    assert writes(calls) == []


def test_namespaces_keep_resources_apart(controller, manifests):
    controller.apply([manifests / PIPELINE_FILE], namespace="team-a")

    assert (local_dir() / "ack" / "team-a" / "pipeline" / "mammo-train.yaml").exists()
    assert controller.get("Pipeline", namespace="default") == []
    [resource] = controller.get("Pipeline", namespace=None)
    assert resource["metadata"]["namespace"] == "team-a"
    path = manifests / PIPELINE_FILE
    document = yaml.safe_load(path.read_text())
    document["metadata"]["namespace"] = "team-a"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(UsageError, match=r"metadata\.namespace is 'team-a', but the namespace given is 'team-b'"):
        controller.apply([path], namespace="team-b")


def test_a_started_execution_display_name_is_updated_in_place(controller, manifests, calls, execution_role):
    controller.apply([manifests])
    path = manifests / EXECUTION_FILE
    document = yaml.safe_load(path.read_text())
    document["spec"]["pipelineExecutionDisplayName"] = "nightly"
    path.write_text(yaml.safe_dump(document))
    calls.clear()

    changes = controller.apply([manifests])

    assert changes[1].action == "updated (UpdatePipelineExecution: pipelineExecutionDisplayName)"
    assert writes(calls) == ["UpdatePipelineExecution"]


# --- executions run by the local stack ----------------------------------------------------------------------

@pytest.fixture
def dev_data(provision_train_inputs, dev_session):
    """What Terraform, prepare-data and the code upload provide: buckets, data, scripts, the registry group."""
    config = load_config("dev")
    provision_train_inputs(config)
    run_pipeline.upload_code(dev_session, config, train_pipeline.code_assets(config))


@pytest.mark.slow
def test_apply_of_the_exported_train_manifests_runs_to_succeeded(controller, dev_data, manifests, dev_session):
    changes = controller.apply([manifests])
    assert [change.kind for change in changes] == ["Pipeline", "PipelineExecution"]
    arn = controller.read("PipelineExecution", "mammo-train-execution")["status"]["ackResourceMetadata"]["arn"]
    assert changes[1].action == f"started {arn}"

    assert wait_for_end(dev_session.client("sagemaker"), arn, timeout=900, interval=2)[
        "PipelineExecutionStatus"] == "Succeeded"
    steps = dev_session.client("sagemaker").list_pipeline_execution_steps(PipelineExecutionArn=arn)
    assert {step["StepName"] for step in steps["PipelineExecutionSteps"]} >= {"PreprocessData", "TrainModel"}

    [resource] = controller.get("PipelineExecution", "mammo-train-execution")
    assert resource["status"]["pipelineExecutionStatus"] == "Succeeded"
    assert [(c["type"], c["status"]) for c in resource["status"]["conditions"]] == [("ACK.ResourceSynced", "True")]
    written = controller.read("PipelineExecution", "mammo-train-execution")
    assert written["status"] == resource["status"]


@pytest.mark.slow
def test_delete_of_a_running_execution_stops_it(controller, dev_data, manifests, dev_session, calls):
    controller.apply([manifests])
    [resource] = controller.get("PipelineExecution", "mammo-train-execution")
    assert resource["status"]["pipelineExecutionStatus"] == "Executing"
    assert [(c["type"], c["status"]) for c in resource["status"]["conditions"]] == [("ACK.ResourceSynced", "False")]
    arn = resource["status"]["ackResourceMetadata"]["arn"]

    change = controller.delete("PipelineExecution", "mammo-train-execution")

    assert change.action == "deleted (StopPipelineExecution)"
    assert "StopPipelineExecution" in calls
    assert wait_for_end(dev_session.client("sagemaker"), arn, timeout=900, interval=2)[
        "PipelineExecutionStatus"] == "Stopped"
    assert controller.read("PipelineExecution", "mammo-train-execution") is None
