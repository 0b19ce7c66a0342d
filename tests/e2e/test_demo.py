"""The demo scenario end to end, in-process, on a local stack of this module's own, with the model-monitor
drift-check engine (test_demo_processing_staging.py runs the same tests with the processing engine, through staging
too): every step's outcome
is asserted against what the stack answers afterwards through the AWS APIs (registry, buckets, pipeline
executions, EventBridge, SNS), not only against what the demo reported. Terraform data directories live under a
temporary MLOPS_LOCAL_DIR, so nothing is shared with other tests or a developer's `.local/`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.called_operations import trail_problems
from support.prepared import PLATFORM_ACCOUNTS

from localaws.tools.stack import LocalAwsStack
from mlops_demo.environments import parse_environments
from mlops_demo.run import run_scenario
from mlops_demo.scenario import SUCCEEDED
from pipelines import s3_uri
from pipelines.config import MODEL_MONITOR, load_config
from pipelines.endpoints.hosting import PREVIOUS_CONFIG_TAG
from pipelines.infra.terraform import TerraformRunner

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.terraform]

EXPECTED_STEPS = [
    "local-stack", "infrastructure", "data-dev", "data-prod", "upsert-dev", "train-dev", "approve-v1",
    "deploy-prod", "endpoint-v1", "inference-clean", "inference-outliers", "retrain-prod", "alert-email",
    "approve-v2", "endpoint-v2", "endpoint-secondary", "endpoint-rollback", "inference-v2",
]
REGISTRY, DEV, PROD = (load_config(environment) for environment in ("registry", "dev", "prod"))


@pytest.fixture(scope="module")
def engine() -> str:
    return MODEL_MONITOR


@pytest.fixture(scope="module")
def walked() -> tuple[str, ...]:
    """The workload environments the run walks (`--environments`): the default's, the promotion's first and last."""
    return ("dev", "prod")


def expected_steps(walked: tuple[str, ...]) -> list[str]:
    """EXPECTED_STEPS with each environment walked between the first and the last promoted through after
    approve-v1: its deploy stages, then its endpoints."""
    after_approval = EXPECTED_STEPS.index("approve-v1") + 1
    promoted = [f"{stage}-{environment}" for environment in walked[1:-1] for stage in ("deploy", "endpoints")]
    return [*EXPECTED_STEPS[:after_approval], *promoted, *EXPECTED_STEPS[after_approval:]]


@pytest.fixture(scope="module")
def demo_stack(engine: str, platform_snapshot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAwsStack]:
    """A stack of this module's own on a copy of the run's applied platform (the three accounts: a fresh apply is
    what builds it, once per run)."""
    root = tmp_path_factory.mktemp(f"demo-{engine}")
    with pytest.MonkeyPatch.context() as patch, platform_snapshot.restored_stack(root / "stack") as stack:
        patch.setenv("MLOPS_LOCAL_DIR", str(root / "local"))
        yield stack


@pytest.fixture(scope="module")
def demo(engine: str, walked: tuple[str, ...], demo_stack: LocalAwsStack, tmp_path_factory: pytest.TempPathFactory):
    """One whole run with `engine` through the `walked` environments on the module's stack, as
    `mlops-demo --endpoint URL --reuse-applied` runs it: the applied accounts are reused (their plans without
    refresh have no changes, also with the engine's copies of the environment files), an environment walked
    beyond them (staging) is bootstrapped and applied by the infrastructure step."""
    root = tmp_path_factory.mktemp(f"demo-run-{engine}")
    result, context = run_scenario(endpoint=demo_stack.endpoint, work_dir=root / "work",
                                   report_path=root / "demo-report.html", drift_check_engine=engine,
                                   demo_environments=parse_environments(",".join(walked)), reuse_applied=True)
    return engine, result, context


def _session(context, environment):
    return context.session(environment)


@pytest.fixture(scope="module")
def served(demo):
    """The demo's endpoint facts. The endpoint steps do not depend on the drift-check engine: they are asserted
    once, in this module's model-monitor run (test_demo_processing_staging.py leaves out ENGINE_INDEPENDENT and checks
    only that its steps succeeded)."""
    _, result, context = demo
    return result, context


def test_every_step_ran_and_succeeded(demo, walked):
    _, result, _ = demo
    assert result.error is None, str(result.error)
    assert [outcome.name for outcome in result.outcomes] == expected_steps(walked)
    assert all(outcome.status == SUCCEEDED for outcome in result.outcomes)
    infrastructure = result.outcome("infrastructure")
    assert infrastructure.account == ", ".join(("registry", *walked))
    reused = ", ".join(f"{environment} ({load_config(environment).account_id})" for environment in PLATFORM_ACCOUNTS)
    assert f"reused {reused} (applied on the stack: a plan without refresh has no changes)" in infrastructure.result
    assert result.outcome("train-dev").account == f"dev ({ACCOUNTS.dev})"
    assert result.outcome("approve-v1").account == f"registry ({ACCOUNTS.registry})"


def test_the_central_group_holds_two_approved_versions_trained_in_dev_then_prod(demo):
    _, _, context = demo
    sagemaker = _session(context, "registry").client("sagemaker")
    packages = sagemaker.list_model_packages(ModelPackageGroupName=REGISTRY.model_registry.model_package_group_name,
                                             SortBy="CreationTime", SortOrder="Ascending")["ModelPackageSummaryList"]
    assert [package["ModelPackageVersion"] for package in packages] == [1, 2]
    assert [package["ModelApprovalStatus"] for package in packages] == ["Approved", "Approved"]
    assert [version.version for version in context.facts.versions] == [1, 2]
    assert all(package["ModelPackageArn"].startswith(f"arn:aws:sagemaker:us-east-1:{REGISTRY.account_id}:")
               for package in packages)
    assert [version.trained_in for version in context.facts.versions] == ["dev", "prod"]
    assert context.facts.versions[0].input_data_uri == f"s3://{DEV.workload.data_bucket_name}/data/train/part1/"
    for version in context.facts.versions:
        assert version.metrics["auc"] > DEV.workload.pipeline.auc_threshold
        assert sum(map(sum, version.confusion_matrix)) > 0
        # Either engine's versions carry the drift baselines the other engine reads.
        package = sagemaker.describe_model_package(ModelPackageName=version.arn)
        assert package["DriftCheckBaselines"]["ModelDataQuality"]["Statistics"]["S3Uri"].endswith("statistics.json")


def test_predictions_are_in_prods_data_bucket_one_probability_per_batch_row(demo):
    _, _, context = demo
    s3 = _session(context, "prod").client("s3")
    for label in ("inference-clean", "inference-v2"):
        run = context.facts.run(label)
        assert run.outputs
        for uri in run.outputs:
            bucket, key = s3_uri.split(uri)
            assert bucket == PROD.workload.data_bucket_name
            lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().split()
            assert len(lines) > 100
            assert all(0.0 <= float(line) <= 1.0 for line in lines)


def test_the_processing_engine_runs_no_model_monitor_container(demo):
    engine, _, context = demo
    sagemaker = _session(context, "prod").client("sagemaker")
    definition = sagemaker.describe_pipeline_definition_for_execution(
        PipelineExecutionArn=context.facts.run("inference-outliers").execution_arn)["PipelineDefinition"]
    assert ("model-monitor-analyzer" in definition) == (engine == MODEL_MONITOR)
    assert ('"Type": "QualityCheck"' in definition) == (engine == MODEL_MONITOR)


def test_the_outlier_inference_failed_naming_age_drift_and_completeness(demo):
    engine, _, context = demo
    run = context.facts.run("inference-outliers")
    execution = _session(context, "prod").client("sagemaker").describe_pipeline_execution(
        PipelineExecutionArn=run.execution_arn)
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert run.parameters["BatchDataUri"] == f"s3://{PROD.workload.data_bucket_name}/data/batch/outliers/"
    assert context.facts.drift_check_engine == engine
    kinds = {(violation["feature_name"], violation["constraint_check_type"]) for violation in context.facts.violations}
    assert ("_c0", "baseline_drift_check") in kinds  # _c0 is Age: the batch CSV has no header
    assert "completeness_check" in {kind for _, kind in kinds}
    reason = execution["FailureReason"]
    if engine == MODEL_MONITOR:
        assert "CompletedWithViolations" in reason
        assert "baseline_drift_check" in reason
    else:
        assert "Age" in reason
        assert "completeness" in reason.lower()


@pytest.mark.browser
def test_the_console_on_the_demos_stack_draws_the_drift_failure_and_lists_the_approved_versions(
        demo, demo_stack, require_tool):
    # The console in a real browser on the state the demo left: the outlier inference found in prod's executions,
    # its graph with the failed drift step and Age named, and the registry's two versions Approved.
    from console.conftest import CHROMIUM_ARGS  # tests/ is on sys.path
    from playwright.sync_api import sync_playwright

    _, _, context = demo
    failed = context.facts.run("inference-outliers").execution_arn
    console = f"{demo_stack.endpoint}/_mlops/console"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=require_tool("chromium"), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(console)
            page.locator(f'#executions a[href$="{failed.rsplit("/", 1)[-1]}"]').click()  # the execution's id
            assert page.locator("#execution-status").inner_text() == "Failed"
            failed_steps = page.locator('#live a.node[data-status="Failed"]')
            assert failed_steps.count() == 1
            # Either engine's check step: its violation report read and the drifted feature named.
            assert any(feature.startswith("_c0") for feature in page.locator("strong.drifted").all_inner_texts())

            page.goto(f"{console}/registry")
            assert page.locator("#versions .approval").all_inner_texts() == ["Approved", "Approved"]
        finally:
            browser.close()


def test_the_retrain_was_started_by_the_terraform_rule_on_part1_and_part2(demo):
    _, _, context = demo
    retrain = context.facts.run("retrain-prod")
    train_arn = PROD.pipeline_arn(PROD.workload.train_pipeline_name)
    events = _session(context, "prod").client("events")
    rules = [rule["Name"] for rule in events.list_rules()["Rules"]
             if any(target["Arn"] == train_arn for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"])]
    assert len(rules) == 1
    assert retrain.started_by == f"EventBridge rule {rules[0]}"
    assert retrain.environment == "prod"
    assert retrain.parameters["InputDataUri"] == f"s3://{PROD.workload.data_bucket_name}/data/train/"
    assert retrain.status == "Succeeded"


def test_the_failure_rule_started_exactly_one_retraining(demo):
    _, _, context = demo
    sagemaker = _session(context, "prod").client("sagemaker")
    failed_at = sagemaker.describe_pipeline_execution(
        PipelineExecutionArn=context.facts.run("inference-outliers").execution_arn)["CreationTime"]
    after = sagemaker.list_pipeline_executions(PipelineName=PROD.workload.train_pipeline_name,
                                               CreatedAfter=failed_at)["PipelineExecutionSummaries"]
    assert [summary["PipelineExecutionArn"] for summary in after] == [context.facts.run("retrain-prod").execution_arn]


def test_scheduled_inference_was_started_by_the_terraform_schedule_rule(demo):
    _, _, context = demo
    events = _session(context, "prod").client("events")
    [schedule] = [rule["Name"] for rule in events.list_rules()["Rules"] if "ScheduleExpression" in rule]
    for label in ("inference-clean", "inference-v2"):
        assert context.facts.run(label).started_by == f"EventBridge rule {schedule}"
    assert context.facts.run("inference-outliers").started_by == "mlops-demo"


def test_every_execution_is_listed_by_the_sagemaker_api(demo):
    _, _, context = demo
    for environment in ("dev", "prod"):
        sagemaker = _session(context, environment).client("sagemaker")
        listed = {summary["PipelineExecutionArn"]
                  for name in {run.pipeline_name for run in context.facts.runs if run.environment == environment}
                  for summary in sagemaker.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]}
        assert {run.execution_arn for run in context.facts.runs if run.environment == environment} <= listed


def test_the_alert_names_the_environment_the_pipeline_the_cause_and_the_execution(demo):
    _, _, context = demo
    assert len(context.facts.notifications) == 1
    notification = context.facts.notifications[0]
    assert notification.topic_arn == PROD.alert_topic_arn
    assert notification.subject.startswith(f"[prod] {PROD.workload.inference_pipeline_name} failed: data drift in Age")
    failed = context.facts.run("inference-outliers")
    assert failed.execution_arn in notification.message
    assert "Age" in notification.message
    assert re.search(r"distance \d\.\d+ > \d\.\d+", notification.message)
    assert context.facts.run("retrain-prod").pipeline_name in notification.message


def test_inference_after_the_second_approval_uses_version_2(demo):
    _, _, context = demo
    first, second = context.facts.versions
    assert context.facts.run("inference-clean").model_package_arn == first.arn
    assert context.facts.run("inference-outliers").model_package_arn == first.arn
    assert context.facts.run("inference-v2").model_package_arn == second.arn


def test_the_report_has_metrics_of_both_versions_the_engine_the_violations_and_the_figures(demo):
    engine, _, context = demo
    html = Path(context.facts.report_path).read_text()
    for section in ("summary", "model-versions", "pipeline-runs", "drift-violations", "alert"):
        assert f'id="{section}"' in html
    for version in context.facts.versions:
        assert f"{version.metrics['auc']:.4f}" in html
    assert f"<strong>{engine}</strong>" in html
    assert "baseline_drift_check" in html
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 2


def test_the_single_model_endpoint_served_v1_then_v2_by_canary_then_v1_again_after_the_rollback(served):
    result, context = served
    first, second = context.facts.versions
    single = [(s.step, s.versions) for s in context.facts.serving if s.endpoint == "mammo-severity"]
    assert single == [("endpoint-v1", (1,)), ("endpoint-v2", (2,)), ("endpoint-rollback", (1,))]
    sagemaker = _session(context, "prod").client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName="mammo-severity")
    assert endpoint["EndpointStatus"] == "InService"
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["ModelPackageName"] == first.arn
    routing = endpoint["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert (routing["Type"], routing["CanarySize"]["Value"], routing["WaitIntervalInSeconds"]) == ("CANARY", 10, 300)
    tags = {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]}
    v2_config = next(s.config_name for s in context.facts.serving if s.step == "endpoint-v2"
                     and s.endpoint == "mammo-severity")
    assert tags[PREVIOUS_CONFIG_TAG] == v2_config
    assert "canary update: 10%, then 100% of the traffic, each baked 300 s" in result.outcome("endpoint-v2").result
    assert second.arn != first.arn


def test_the_multi_model_endpoint_serves_every_approved_version_by_target_model(served):
    _, context = served
    multi = [(s.step, s.versions) for s in context.facts.serving if s.endpoint == "mammo-severity-versions"]
    assert multi == [("endpoint-v1", (1,)), ("endpoint-v2", (1, 2))]
    s3 = _session(context, "prod").client("s3")
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=PROD.workload.data_bucket_name,
                                                       Prefix="endpoint-models/")["Contents"]}
    assert keys == {f"endpoint-models/mammo-severity-versions/{REGISTRY.model_registry.model_package_group_name}"
                    f"/v{version}.tar.gz" for version in (1, 2)}
    facts = context.facts
    by_target = {i.target_model for i in facts.invocations if i.endpoint == "mammo-severity-versions"}
    assert by_target == {f"{REGISTRY.model_registry.model_package_group_name}/v{v}.tar.gz" for v in (1, 2)}


def test_predictions_switch_to_v2_and_back_to_v1_and_each_version_scores_alike_on_both_endpoints(served):
    facts = served[1].facts
    v1 = facts.invocation("endpoint-v1", "mammo-severity", 1)
    v2 = facts.invocation("endpoint-v2", "mammo-severity", 2)
    assert len(v1.rows) == 3
    assert v2.predictions != v1.predictions
    assert facts.invocation("endpoint-rollback", "mammo-severity", 1).predictions == v1.predictions
    assert facts.invocation("endpoint-v1", "mammo-severity-versions", 1).predictions == v1.predictions
    assert facts.invocation("endpoint-v2", "mammo-severity-versions", 1).predictions == v1.predictions
    assert facts.invocation("endpoint-v2", "mammo-severity-versions", 2).predictions == v2.predictions


def test_every_invocation_was_captured_once_with_its_request_and_answer(served):
    _, context = served
    facts = context.facts
    s3 = _session(context, "prod").client("s3")
    bucket, prefix = s3_uri.split(facts.capture.s3_uri)
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
            for item in page.get("Contents", [])]
    records = [json.loads(line) for key in keys
               for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines() if line]
    assert len(facts.invocations) == 7
    assert (facts.capture.objects, facts.capture.lines, facts.capture.invocations) == (7, 7, 7)
    assert len(keys) == len(records) == 7
    captured = sorted((r["captureData"]["endpointInput"]["data"], r["captureData"]["endpointOutput"]["data"])
                      for r in records)
    sent = sorted("".join(row + "\n" for row in i.rows) for i in facts.invocations)
    assert [request for request, _ in captured] == sent
    for _, answer in captured:
        assert len(answer.split()) == 3


def test_the_secondary_region_serves_version_2_from_the_replica_with_the_primarys_scores(served):
    facts = served[1].facts
    [both] = facts.regions
    secondary = PROD.require_secondary_region()
    assert (both.endpoint, both.version, both.secondary_region) == ("mammo-severity", 2, secondary.region)
    assert both.model_data_url.startswith(f"s3://{secondary.replica_artifacts_bucket_name}/")
    assert both.primary == both.secondary == facts.invocation("endpoint-v2", "mammo-severity", 2).predictions


def test_the_report_has_the_endpoint_section(served):
    facts = served[1].facts
    html = Path(facts.report_path).read_text()
    section = html[html.index('id="endpoints"'):]
    assert "mammo-severity-versions" in section
    for score in facts.invocation("endpoint-v2", "mammo-severity", 2).predictions:
        assert f"{score:.4f}" in section
    assert "7 object(s) holding 7 record(s)" in section
    assert "Both regions" in section


# ---------------------------------------------------------------------- a clean restart (keep last)

RESTART_ROWS = b"67,3,5,3\n43,1,1,3\n58,4,5,3\n"


def _kept(context) -> dict:
    """What a restarted stack must answer identically: the registry, every object version of the artifacts and
    prod data buckets (body digest, ETag and checksum), the executions and their steps, and the single-model
    endpoint's predictions."""
    registry, prod = _session(context, "registry"), _session(context, "prod")
    group = REGISTRY.model_registry.model_package_group_name
    packages = registry.client("sagemaker").list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    objects, capture = {}, PROD.require_serving().capture_prefix + "/"
    for session, bucket in ((registry, REGISTRY.model_registry.artifacts_bucket_name),
                            (prod, PROD.workload.data_bucket_name)):
        s3 = session.client("s3")
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            # Capture files are written after the invocations: the ones below may still be on their way.
            for version in (v for v in page.get("Versions", []) if not v["Key"].startswith(capture)):
                answer = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"],
                                       ChecksumMode="ENABLED")
                objects[(bucket, version["Key"], version["VersionId"])] = (
                    hashlib.sha256(answer["Body"].read()).hexdigest(), answer["ETag"],
                    answer.get("ChecksumSHA256"), version["IsLatest"])
    executions = {}
    for environment, config in (("dev", DEV), ("prod", PROD)):
        sagemaker = _session(context, environment).client("sagemaker")
        for name in (config.workload.train_pipeline_name, config.workload.inference_pipeline_name):
            for summary in sagemaker.list_pipeline_executions(PipelineName=name)["PipelineExecutionSummaries"]:
                steps = sagemaker.list_pipeline_execution_steps(
                    PipelineExecutionArn=summary["PipelineExecutionArn"])["PipelineExecutionSteps"]
                executions[summary["PipelineExecutionArn"]] = (summary["PipelineExecutionStatus"], sorted(
                    (step["StepName"], step["StepStatus"]) for step in steps))
    predictions = prod.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="mammo-severity", ContentType="text/csv", Body=RESTART_ROWS)["Body"].read()
    return {"packages": [(p["ModelPackageArn"], p["ModelApprovalStatus"]) for p in packages], "objects": objects,
            "executions": executions, "predictions": predictions}


def test_after_a_clean_restart_every_account_plans_no_changes_and_the_platform_answers_the_same(served, demo_stack):
    _, context = served
    before = _kept(context)
    assert before["objects"]
    assert before["executions"]
    assert len(before["packages"]) == 2
    kms = _session(context, "prod").client("kms")
    ciphertext = kms.encrypt(KeyId=PROD.workload_kms_alias_arn, Plaintext=b"kept across a restart")["CiphertextBlob"]

    demo_stack.stop()  # SIGTERM: the server writes its last state
    demo_stack.start()  # the same port and state folder

    after = _kept(context)
    assert after == before
    assert _session(context, "prod").client("kms").decrypt(CiphertextBlob=ciphertext)["Plaintext"] == (
        b"kept across a restart")
    runners = [TerraformRunner(context.config(environment), target=context.require_target())
               for environment in PLATFORM_ACCOUNTS]
    with ThreadPoolExecutor(max_workers=len(runners)) as pool:
        assert dict(zip(PLATFORM_ACCOUNTS, pool.map(TerraformRunner.plan, runners), strict=True)) == {
            environment: False for environment in PLATFORM_ACCOUNTS}


# Asserted once, in this module: the processing-engine module imports everything else.
ENGINE_INDEPENDENT = (
    "test_after_a_clean_restart_every_account_plans_no_changes_and_the_platform_answers_the_same",
    "test_the_secondary_region_serves_version_2_from_the_replica_with_the_primarys_scores",
    "test_the_single_model_endpoint_served_v1_then_v2_by_canary_then_v1_again_after_the_rollback",
    "test_the_multi_model_endpoint_serves_every_approved_version_by_target_model",
    "test_predictions_switch_to_v2_and_back_to_v1_and_each_version_scores_alike_on_both_endpoints",
    "test_every_invocation_was_captured_once_with_its_request_and_answer",
    "test_the_report_has_the_endpoint_section",
)


def test_every_operation_the_stack_was_called_with_is_in_the_committed_list_and_mapped(served, demo_stack):
    # The list tests/authorization/test_called_operations.py holds to the authorization mapping.
    problems = trail_problems(Path(demo_stack.state_dir))
    assert not problems, "\n".join(problems)
