"""Recorded facts of a demo run, as the report renders them (no AWS needed): shared by the report's tests and the
browser test that renders it at 1300 px."""

from mlops_demo.facts import (
    CaptureCount,
    DemoFacts,
    EndpointInvocation,
    EndpointServing,
    ModelVersion,
    Notification,
    PipelineRun,
    RoleAccess,
)
from pipelines.config import load_config

ACCOUNTS = load_config("dev").accounts
GROUP_ARN = load_config("registry").model_package_group_arn


def statistics(age_buckets):
    """A statistics.json document in the published format, with one numerical and one string feature."""
    return {
        "version": 0.0,
        "dataset": {"item_count": sum(count for _, _, count in age_buckets)},
        "features": [
            {"name": "Age", "inferred_type": "Integral",
             "numerical_statistics": {"common": {"num_present": 10, "num_missing": 0}, "mean": 50.0,
                                      "distribution": {"kll": {"buckets": [
                                          {"lower_bound": lo, "upper_bound": hi, "count": count}
                                          for lo, hi, count in age_buckets]}}}},
            {"name": "Note", "inferred_type": "String", "string_statistics": {"common": {"num_present": 1}}},
        ],
    }


BASELINE = statistics([(20, 40, 30), (40, 60, 50), (60, 80, 20)])
BATCH = statistics([(-80, 0, 10), (0, 400, 20), (400, 800, 10)])


def report_facts() -> DemoFacts:
    facts = DemoFacts(endpoint="http://127.0.0.1:5000")
    for number, auc in ((1, 0.84), (2, 0.87)):
        facts.versions.append(ModelVersion(
            version=number, arn=f"{GROUP_ARN.replace('-group/', '/')}/{number}",
            approval_status="Approved", trained_in="dev" if number == 1 else "prod", execution_arn="arn:exec",
            input_data_uri="s3://data/train/", metrics={"auc": auc, "accuracy": 0.8, "custom": 1.0},
            confusion_matrix=[[40, 8], [9, 43]]))
    facts.runs.append(PipelineRun(label="inference-outliers", environment="prod", pipeline_name="mammo-batch-inference",
                                  execution_arn="arn:aws:sagemaker:...:execution/x", status="Failed",
                                  failure_reason="ClientError: CompletedWithViolations <check>",
                                  parameters={"BatchDataUri": "s3://data/batch/outliers/"}))
    facts.violations = [
        {"feature_name": "Age", "constraint_check_type": "baseline_drift_check", "description": "distance 0.7 > 0.1"},
        {"feature_name": "Shape", "constraint_check_type": "completeness_check", "description": "0.9 < 1.0"},
    ]
    facts.baseline_statistics, facts.batch_statistics = BASELINE, BATCH
    facts.notifications.append(Notification(f"arn:aws:sns:us-east-1:{ACCOUNTS.prod}:alerts", "Pipeline failed",
                                            "mammo-batch-inference failed"))
    facts.serving += [
        EndpointServing("endpoint-v1", "mammo-severity", "single-model", "InService", "mammo-severity-v1-0a1b", (1,)),
        EndpointServing("endpoint-v2", "mammo-severity-versions", "multi-model", "InService", "mammo-mm-9f8e", (1, 2)),
    ]
    rows = ("67,3,5,3", "43,1,1,3")
    facts.invocations += [
        EndpointInvocation("endpoint-v1", "mammo-severity", 1, None, rows, (0.81234, 0.12345)),
        EndpointInvocation("endpoint-v2", "mammo-severity-versions", 2, "mammo-severity/v2.tar.gz", rows,
                           (0.85678, 0.09876)),
    ]
    facts.capture = CaptureCount("s3://prod-data/endpoint-capture", 100, 2, 2, 2)
    facts.authorization = "enforce"
    facts.access = [RoleAccess(arn=f"arn:aws:iam::{ACCOUNTS.registry}:role/mammo-model-approver",
                               used=("sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage"), granted=3,
                               unused=("sagemaker:DeleteModelPackage",), unexpanded=(), denied_calls=0, denied=())]
    return facts
