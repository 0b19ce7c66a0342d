"""QualityCheck steps (DATA_QUALITY): baseline the dataset and/or check it against a baseline.

As SageMaker does it: the model-monitor analyzer runs on the step's processing request; unless SkipCheck,
the baseline it checks against is the supplied one (SuppliedBaselineStatistics/Constraints) or else the
drift-check baseline of the latest Approved package of ModelPackageGroupName. Violations with
FailOnViolation fail the step. Properties: CalculatedBaseline{Statistics,Constraints} (what this run
computed) and BaselineUsedForDriftCheck{Statistics,Constraints} (the new one with RegisterNewBaseline,
else the one checked against) - what a RegisterModel step records as DriftCheckBaselines.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from localaws.sagemaker_pipelines import s3
from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult
from localaws.sagemaker_pipelines.steps.processing import ProcessingJob, run_analyzer
from pipelines import model_registry

logger = logging.getLogger(__name__)

COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
BASELINE_DIR = "/opt/ml/processing/baseline"


class QualityCheckHandler(StepHandler):
    step_type = "QualityCheck"

    def run(self, context: StepContext) -> StepResult:
        step = context.node.definition
        request = context.arguments
        job = ProcessingJob(context, request)
        skip_check = bool(step.get("SkipCheck", False))
        output_uri = job.outputs()[0]["S3Output"]["S3Uri"].rstrip("/") if job.outputs() else None
        if output_uri is None:
            raise StepFailed("ClientError: the quality check has no ProcessingOutputConfig output")
        properties: dict[str, Any] = {
            "CalculatedBaselineStatistics": f"{output_uri}/statistics.json",
            "CalculatedBaselineConstraints": f"{output_uri}/constraints.json",
        }
        metadata: dict[str, Any] = {"QualityCheck": {
            "CheckType": step["CheckType"], "ModelPackageGroupName": step.get("ModelPackageGroupName"),
            "SkipCheck": skip_check, "RegisterNewBaseline": bool(step.get("RegisterNewBaseline", False)),
            "CheckJobArn": job.arn, **properties,
        }}
        try:
            environment = dict(request.get("Environment") or {})
            job.stage_inputs()
            baseline = None
            if not skip_check:
                baseline = self._baseline(context, step)
                environment.update(self._stage_baseline(job, baseline))
            context.raise_if_stopped()
            result = run_analyzer(job, environment)
            context.raise_if_stopped()
            job.upload_outputs()
        except StepFailed as failure:
            raise StepFailed(failure.reason, properties, metadata) from None

        calculated = properties["CalculatedBaselineStatistics"], properties["CalculatedBaselineConstraints"]
        supplied = context.resolve(step.get("SuppliedBaselineStatistics")), \
            context.resolve(step.get("SuppliedBaselineConstraints"))
        # RegisterNewBaseline: the new one; else the one checked against (with SkipCheck: the supplied one).
        if step.get("RegisterNewBaseline"):
            used = calculated
        else:
            used = baseline or (supplied if all(supplied) else calculated)
        properties["BaselineUsedForDriftCheckStatistics"], properties["BaselineUsedForDriftCheckConstraints"] = used
        metadata["QualityCheck"].update({
            "BaselineUsedForDriftCheckStatistics": used[0], "BaselineUsedForDriftCheckConstraints": used[1]})
        if not skip_check:
            metadata["QualityCheck"]["ViolationReport"] = f"{output_uri}/constraint_violations.json"
        if not skip_check and result.status == COMPLETED_WITH_VIOLATIONS and step.get("FailOnViolation", True):
            raise StepFailed(
                f"ClientError: Quality check failed: the data-quality check job {job.name} ended "
                f"{COMPLETED_WITH_VIOLATIONS}: {_summary(result.violations)}. "
                f"See the violation report {output_uri}/constraint_violations.json",
                properties, metadata)
        return StepResult(properties, metadata)

    def _baseline(self, context: StepContext, step: dict) -> tuple[str, str]:
        statistics = context.resolve(step.get("SuppliedBaselineStatistics"))
        constraints = context.resolve(step.get("SuppliedBaselineConstraints"))
        if statistics and constraints:
            return statistics, constraints
        group = step.get("ModelPackageGroupName")
        if not group:
            raise StepFailed("ClientError: the quality check needs a baseline: supply SuppliedBaselineStatistics "
                             "and SuppliedBaselineConstraints or a ModelPackageGroupName with an Approved version")
        return _latest_approved_baseline(context, group)

    def _stage_baseline(self, job: ProcessingJob, baseline: tuple[str, str]) -> dict[str, str]:
        """Download the baseline files; the analyzer finds them through baseline_statistics/baseline_constraints."""
        environment = {}
        for kind, uri in zip(("statistics", "constraints"), baseline, strict=True):
            target = job.paths.local(f"{BASELINE_DIR}/{kind}/{Path(s3.split_uri(uri)[1]).name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.read_bytes(job.s3, uri))
            environment[f"baseline_{kind}"] = f"{BASELINE_DIR}/{kind}/{target.name}"
        return environment


def _latest_approved_baseline(context: StepContext, group: str) -> tuple[str, str]:
    sagemaker = context.client("sagemaker")
    try:
        package_arn = model_registry.latest_approved_package_arn(sagemaker, group)
    except model_registry.NoApprovedModelError:
        raise StepFailed(f"ClientError: the quality check needs a baseline and model package group {group} "
                         "has no Approved version to take it from") from None
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    try:
        baseline = model_registry.data_quality_baseline(package)
    except model_registry.NoApprovedModelError:
        raise StepFailed(f"ClientError: model package {package_arn} has no "
                         "DriftCheckBaselines.ModelDataQuality to check against") from None
    return baseline.statistics_uri, baseline.constraints_uri


def _summary(violations: list) -> str:
    """'2 violation(s): baseline_drift_check on feature age; missing_column_check on ...'."""
    described = []
    for violation in violations or []:
        item = violation if isinstance(violation, dict) else vars(violation)
        described.append(f"{item.get('constraint_check_type')} on {item.get('feature_name')}")
    return f"{len(described)} violation(s): {'; '.join(described)}"
