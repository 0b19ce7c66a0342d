"""What the console shows, read through the stack's AWS APIs and its `/_mlops/` read-backs, as any client reads
them: boto3 sessions of `pipelines.aws.Target.local_stack(endpoint)` (the stack's fake keys, `mlops-local-admin`
assumed in the other accounts), never the server's own objects.

The accounts and regions come from the environments' configuration (registry, every workload environment, the
tooling account; each primary and secondary region).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

from localaws.middleware import read_route
from pipelines import s3_uri
from pipelines.aws import Target
from pipelines.config import FEATURES, EnvConfig, environments, load_config
from pipelines.model_registry import MetricsUnavailableError, described_package_metrics, list_versions
from pipelines.monitoring.statistics import Histogram, common_histogram, feature_buckets, missing_share
from pipelines.pipeline_definition.errors import PipelineDefinitionError
from pipelines.pipeline_definition.graph import build_graph

from .graph import Layout, layout_nodes

TERMINAL = ("Succeeded", "Failed", "Stopped")
DRIFT_CHECK = "baseline_drift_check"
LOG_GROUPS = {"processing-job": "/aws/sagemaker/ProcessingJobs", "training-job": "/aws/sagemaker/TrainingJobs",
              "transform-job": "/aws/sagemaker/TransformJobs"}
RECENT_SECONDS = 3600
INVOCATION_METRICS = ("Invocations", "Invocation4XXErrors", "Invocation5XXErrors")

_sessions: dict[tuple[str, str, str], boto3.Session] = {}
_sessions_lock = threading.Lock()


def forget_sessions() -> None:
    """After a reset the stack no longer knows the assumed roles' keys: assume them again."""
    with _sessions_lock:
        _sessions.clear()


@dataclass(frozen=True)
class Place:
    environment: str
    account: str
    region: str

    @property
    def label(self) -> str:
        return f"{self.environment} {self.account} {self.region}"


def configs() -> dict[str, EnvConfig]:
    return {name: load_config(name) for name in environments()}


def places() -> list[Place]:
    """Every (account, region) of the platform, named by the environment that owns the account."""
    found: dict[tuple[str, str], Place] = {}
    for name, config in configs().items():
        regions = [config.aws_region] + ([config.secondary_region.region] if config.secondary_region else [])
        for region in regions:
            found.setdefault((config.account_id, region), Place(name, config.account_id, region))
    tooling = load_config("registry").accounts.tooling
    for place in list(found.values()):
        found.setdefault((tooling, place.region), Place("tooling", tooling, place.region))
    return list(found.values())


def find_place(account: str, region: str) -> Place:
    for place in places():
        if (place.account, place.region) == (account, region):
            return place
    raise LookupError(f"account {account!r} in region {region!r} is not one of the platform's")


class Stack:
    """The stack at `endpoint`, read as a client."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint.rstrip("/")
        self.target = Target.local_stack(self.endpoint)

    def session(self, place: Place) -> boto3.Session:
        key = (self.endpoint, place.account, place.region)
        with _sessions_lock:
            session = _sessions.get(key)
        if session is None:
            session = self.target.session(place.account, place.region)
            with _sessions_lock:
                _sessions[key] = session
        return session

    def client(self, place: Place, service: str):
        return self.session(place).client(service)

    @staticmethod
    def read_back(path: str, **query: str) -> dict[str, Any]:
        """The stack's read-back /_mlops/<path> (deliveries, notifications, clock), answered in the server."""
        return read_route(path, **query)

    # ------------------------------------------------------------------ pipelines

    def pipelines(self, place: Place) -> list[dict[str, Any]]:
        """The place's pipelines, each with its executions newest first ("Executions")."""
        sagemaker = self.client(place, "sagemaker")
        found = []
        for summary in sagemaker.list_pipelines(SortBy="Name", SortOrder="Ascending").get("PipelineSummaries", []):
            executions = sagemaker.list_pipeline_executions(
                PipelineName=summary["PipelineName"], SortBy="CreationTime",
                SortOrder="Descending").get("PipelineExecutionSummaries", [])
            found.append({**summary, "Executions": executions})
        return found

    def execution(self, place: Place, arn: str) -> Execution:
        sagemaker = self.client(place, "sagemaker")
        description = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        definition = json.loads(sagemaker.describe_pipeline_definition_for_execution(
            PipelineExecutionArn=arn)["PipelineDefinition"])
        parameters = {p["Name"]: p["Value"] for p in sagemaker.list_pipeline_parameters_for_execution(
            PipelineExecutionArn=arn).get("PipelineParameters", [])}
        summaries = {s["StepName"]: s for s in sagemaker.list_pipeline_execution_steps(
            PipelineExecutionArn=arn, SortOrder="Ascending").get("PipelineExecutionSteps", [])}
        try:
            graph = build_graph(definition)
        except PipelineDefinitionError:
            graph = []
        context = {"Execution.PipelineExecutionId": arn.rsplit("/", 1)[-1],
                   **{f"Parameters.{name}": value for name, value in parameters.items()},
                   **{f"Steps.{step}.OutputParameters['{output['Name']}']": output.get("Value")
                      for step, summary in summaries.items()
                      for output in ((summary.get("Metadata") or {}).get("Lambda") or {}).get("OutputParameters", [])}}
        steps = [self._step(place, node.name, node.type, node.definition, summaries.get(node.name), context)
                 for node in graph]
        return Execution(description, parameters, steps, layout_nodes(graph))

    def _step(self, place: Place, name: str, kind: str, definition: dict, summary: dict | None,
              context: dict[str, str]) -> Step:
        summary = summary or {}
        metadata = summary.get("Metadata") or {}
        step = Step(name=name, type=kind, status=summary.get("StepStatus", "NotStarted"),
                    start=summary.get("StartTime"), end=summary.get("EndTime"),
                    failure_reason=summary.get("FailureReason"), metadata=metadata,
                    locations=_locations(definition.get("Arguments") or {}, context) + _locations(metadata, context))
        check = metadata.get("QualityCheck") or (
            self._processing_check(place, definition, context) if kind == "Processing" and step.status in TERMINAL
            else {})
        if check.get("ViolationReport") and step.status in TERMINAL:
            step.violations = self._violations(place, check["ViolationReport"])
            if step.drifted:
                step.histograms = self._histograms(place, check, step.drifted)
        for entry in metadata.values():
            job_arn = entry.get("Arn", "") if isinstance(entry, dict) else ""
            kind_and_name = job_arn.split(":", 5)[-1].split("/", 1) if job_arn else []
            if len(kind_and_name) == 2 and kind_and_name[0] in LOG_GROUPS:
                step.log = (LOG_GROUPS[kind_and_name[0]], kind_and_name[1])
        return step

    def _processing_check(self, place: Place, definition: dict, context: dict[str, str]) -> dict[str, str]:
        """A processing step that checked data quality itself (the platform's processing drift engine writes
        constraint_violations.json and statistics.json into one output, from a baseline input `statistics`):
        its reports named as a QualityCheck step's metadata names them; {} for any other processing step."""
        arguments = definition.get("Arguments") or {}
        baseline = next((_resolve((i.get("S3Input") or {}).get("S3Uri"), context)
                         for i in arguments.get("ProcessingInputs", []) if i.get("InputName") == "statistics"), None)
        for output in (arguments.get("ProcessingOutputConfig") or {}).get("Outputs", []):
            folder = _resolve((output.get("S3Output") or {}).get("S3Uri"), context)
            if not isinstance(folder, str) or not folder.startswith("s3://"):
                continue
            bucket, key = s3_uri.split(f"{folder.rstrip('/')}/constraint_violations.json")
            try:
                self.client(place, "s3").head_object(Bucket=bucket, Key=key)
            except ClientError:
                continue  # not a data-quality output (or not written): nothing to draw
            return {"ViolationReport": f"s3://{bucket}/{key}",
                    "CalculatedBaselineStatistics": f"{folder.rstrip('/')}/statistics.json",
                    "BaselineUsedForDriftCheckStatistics": baseline or ""}
        return {}

    def _violations(self, place: Place, uri: str) -> list[dict[str, Any]] | str:
        try:
            return self.s3_json(place, uri).get("violations", [])
        except (ClientError, ValueError) as error:
            return f"the violation report {uri} cannot be read: {error_text(error)}"

    def _histograms(self, place: Place, check: dict[str, Any], features: list[str]) -> list[FeatureHistogram] | str:
        """The drifted features' distributions: the baseline the check compared against and the checked batch
        (the statistics this run calculated), both as the analyzer wrote them."""
        baseline_uri, batch_uri = check.get("BaselineUsedForDriftCheckStatistics"), \
            check.get("CalculatedBaselineStatistics")
        if not baseline_uri or not batch_uri:
            return "the step's metadata names no baseline or batch statistics"
        try:
            baseline, batch = self.s3_json(place, baseline_uri), self.s3_json(place, batch_uri)
            return [FeatureHistogram(feature, common_histogram({
                "baseline": feature_buckets(baseline, feature), "batch": feature_buckets(batch, feature)}),
                missing_share(baseline, feature), missing_share(batch, feature)) for feature in features]
        except (ClientError, ValueError) as error:
            return f"the statistics {baseline_uri} and {batch_uri} cannot be read: {error_text(error)}"

    def s3_json(self, place: Place, uri: str) -> dict[str, Any]:
        bucket, key = s3_uri.split(uri)
        return json.loads(self.client(place, "s3").get_object(Bucket=bucket, Key=key)["Body"].read())

    def objects(self, place: Place, bucket: str, prefix: str) -> dict[str, Any]:
        answer = self.client(place, "s3").list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/",
                                                          MaxKeys=1000)
        return {"folders": [p["Prefix"] for p in answer.get("CommonPrefixes", [])],
                "objects": answer.get("Contents", []), "truncated": answer.get("IsTruncated", False)}

    def log_events(self, place: Place, group: str, job_name: str) -> list[dict[str, Any]]:
        logs = self.client(place, "logs")
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=job_name).get("logStreams", [])
        events = []
        for stream in streams:
            events += logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                          startFromHead=True).get("events", [])
        return events

    # ------------------------------------------------------------------ model registry

    def registry(self) -> Registry:
        config = load_config("registry")
        place = Place("registry", config.account_id, config.aws_region)
        sagemaker, s3 = self.client(place, "sagemaker"), self.client(place, "s3")
        group = config.model_registry.model_package_group_name
        try:
            summaries = list_versions(sagemaker, group)
        except ClientError as error:
            return Registry(place, group, config.approver_role_arn, [], error_text(error))
        made_by: dict[str, tuple[Place, dict[str, Any]] | None] = {}
        versions = []
        for summary in reversed(summaries):
            package = sagemaker.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            try:
                metrics = described_package_metrics(s3, package)
            except MetricsUnavailableError as error:
                metrics = str(error)
            versions.append(Version(package, metrics, self._generated_by(package, made_by)))
        return Registry(place, group, config.approver_role_arn, versions, None)

    def _generated_by(self, package: dict[str, Any], seen: dict[str, tuple[Place, dict[str, Any]] | None]
                      ) -> tuple[Place, dict[str, Any]] | None:
        """(place, execution) of the pipeline execution named by the package's MetadataProperties.GeneratedBy (a
        RegisterModel step records it from Execution.PipelineExecutionArn): one DescribePipelineExecution per
        execution, `seen` keeps them for the rest of the page."""
        arn = (package.get("MetadataProperties") or {}).get("GeneratedBy", "")
        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("pipeline/") or "/execution/" not in parts[5]:
            return None
        if arn not in seen:
            try:
                place = find_place(parts[4], parts[3])
                execution = self.client(place, "sagemaker").describe_pipeline_execution(PipelineExecutionArn=arn)
                pipeline_name = parts[5].split("/")[1]
                seen[arn] = (place, {**execution, "PipelineName": pipeline_name})
            except (LookupError, ClientError):
                seen[arn] = None
        return seen[arn]

    def review(self, role_arn: str, package_arn: str, status: str, description: str) -> str:
        """UpdateModelPackage as `role_arn` (assumed from the registry account's admin session, as approve-model
        assumes the approver role on the local stack); the new status. ClientError when AWS refuses."""
        config = load_config("registry")
        place = Place("registry", config.account_id, config.aws_region)
        credentials = self.client(place, "sts").assume_role(
            RoleArn=role_arn, RoleSessionName="mlops-console")["Credentials"]
        session = self.target.credentials_session(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                                  credentials["SessionToken"], place.region)
        sagemaker = session.client("sagemaker")
        sagemaker.update_model_package(ModelPackageArn=package_arn, ModelApprovalStatus=status,
                                       ApprovalDescription=description)
        return sagemaker.describe_model_package(ModelPackageName=package_arn)["ModelApprovalStatus"]

    # ------------------------------------------------------------------ endpoints, events, notifications

    def endpoints(self, place: Place) -> list[dict[str, Any]]:
        sagemaker, cloudwatch = self.client(place, "sagemaker"), self.client(place, "cloudwatch")
        summaries = sagemaker.list_endpoints(SortBy="Name").get("Endpoints", [])
        if not summaries:
            return []
        alarms = cloudwatch.describe_alarms().get("MetricAlarms", [])
        now = datetime.fromisoformat(self.clock()["now"])
        found = []
        for summary in summaries:
            endpoint = sagemaker.describe_endpoint(EndpointName=summary["EndpointName"])
            config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
            models = {v["VariantName"]: v.get("ModelName") for v in config.get("ProductionVariants", [])}
            name = summary["EndpointName"]
            variants = []
            for variant in endpoint.get("ProductionVariants", []):
                model_name = models.get(variant["VariantName"])
                variants.append({**variant, "ModelName": model_name,
                                 "Package": self._deployed_package(sagemaker, model_name),
                                 "Recent": self._invocations(cloudwatch, name, variant["VariantName"], now)})
            found.append({**endpoint, "Variants": variants, "Alarms": [
                alarm for alarm in alarms
                if any(d.get("Value") == name for d in alarm.get("Dimensions", [])) or name in alarm["AlarmName"]]})
        return found

    @staticmethod
    def _invocations(cloudwatch, endpoint: str, variant: str, now: datetime) -> dict[str, int]:
        """The variant's invocations and errors in the RECENT_SECONDS before the stack clock's `now`, from the
        AWS/SageMaker metrics the runtime emits per endpoint and variant."""
        counts = {}
        for metric in INVOCATION_METRICS:
            points = cloudwatch.get_metric_statistics(
                Namespace="AWS/SageMaker", MetricName=metric, StartTime=now - timedelta(seconds=RECENT_SECONDS),
                EndTime=now, Period=RECENT_SECONDS, Statistics=["Sum"],
                Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": variant}],
            ).get("Datapoints", [])
            counts[metric] = int(sum(point["Sum"] for point in points))
        return counts

    @staticmethod
    def _deployed_package(sagemaker, model_name: str | None) -> str | None:
        if not model_name:
            return None
        try:
            model = sagemaker.describe_model(ModelName=model_name)
        except ClientError:
            return None
        containers = [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]
        return next((c.get("ModelPackageName") or c.get("ModelDataUrl") for c in containers
                     if c.get("ModelPackageName") or c.get("ModelDataUrl")), None)

    def rules(self, place: Place) -> list[dict[str, Any]]:
        events = self.client(place, "events")
        deliveries = [d for d in self.read_back("events/deliveries", account=place.account)["deliveries"]
                      if d["region"] == place.region]
        found = []
        for rule in events.list_rules().get("Rules", []):
            targets = events.list_targets_by_rule(Rule=rule["Name"]).get("Targets", [])
            found.append({**rule, "Targets": targets,
                          "Deliveries": [d for d in deliveries if d["rule_arn"] == rule["Arn"]][-20:]})
        return found

    def notifications(self, place: Place) -> list[dict[str, Any]]:
        topics = self.client(place, "sns").list_topics().get("Topics", [])
        return [self.read_back("sns/notifications", topic_arn=topic["TopicArn"]) for topic in topics]

    def clock(self) -> dict[str, Any]:
        return self.read_back("clock")


@dataclass
class Step:
    name: str
    type: str
    status: str
    start: datetime | None
    end: datetime | None
    failure_reason: str | None
    metadata: dict[str, Any]
    locations: list[tuple[str, str]]
    """(where in the definition or metadata, the S3 URI or value) of the step's inputs and outputs."""
    violations: list[dict[str, Any]] | str | None = None
    log: tuple[str, str] | None = None
    """(log group, job name) of the job the step ran."""
    histograms: list[FeatureHistogram] | str | None = None
    """The drifted features' baseline and batch distributions, or why they cannot be read."""

    @property
    def seconds(self) -> float | None:
        if self.start is None:
            return None
        return ((self.end or datetime.now(UTC)) - self.start).total_seconds()

    @property
    def drifted(self) -> list[str]:
        if not isinstance(self.violations, list):
            return []
        return list(dict.fromkeys(v.get("feature_name") for v in self.violations
                                  if v.get("constraint_check_type") == DRIFT_CHECK))


@dataclass(frozen=True)
class FeatureHistogram:
    feature: str
    histogram: Histogram
    """series "baseline" and "batch", shares per bin."""
    baseline_missing: float
    batch_missing: float


@dataclass
class Execution:
    description: dict[str, Any]
    parameters: dict[str, str]
    steps: list[Step]
    layout: Layout

    @property
    def finished(self) -> bool:
        return self.description.get("PipelineExecutionStatus") in TERMINAL

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


@dataclass
class Version:
    package: dict[str, Any]
    metrics: Any
    """pipelines.model_registry.PackageMetrics, or why there are none."""
    made_by: tuple[Place, dict[str, Any]] | None


@dataclass
class Registry:
    place: Place
    group: str
    approver_role_arn: str
    versions: list[Version] = field(default_factory=list)
    error: str | None = None


def feature_label(feature: str) -> str:
    """`_c1 (Shape)`: the analyzer names a header-less CSV's columns by position; the project's batches hold
    the features in FEATURES' order."""
    if feature.startswith("_c") and feature[2:].isdigit() and int(feature[2:]) < len(FEATURES):
        return f"{feature} ({FEATURES[int(feature[2:])]})"
    return feature


def _locations(value: Any, context: dict[str, str], path: str = "") -> list[tuple[str, str]]:
    """Every S3 location inside a step's arguments or metadata, expressions of parameters and the execution id
    resolved; a location computed from another step's properties is named by its reference."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key in ("S3Uri", "S3OutputPath", "S3ModelArtifacts", "ModelDataUrl") or \
                    (isinstance(item, str) and item.startswith("s3://")):
                resolved = _resolve(item, context)
                if resolved is not None:
                    found.append((where, resolved))
            else:
                found += _locations(item, context, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = item.get("InputName") or item.get("OutputName") or item.get("ChannelName") \
                if isinstance(item, dict) else None
            found += _locations(item, context, f"{path}[{label or index}]")
    return found


def _resolve(value: Any, context: dict[str, str]) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("Get"), str):
        reference = value["Get"]
        return context.get(reference, f"({reference})")
    if isinstance(value, dict) and isinstance(value.get("Std:Join"), dict):
        join = value["Std:Join"]
        parts = [_resolve(item, context) for item in join.get("Values", [])]
        return str(join.get("On", "")).join(part or "" for part in parts)
    return None


def error_text(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code')}: {details.get('Message')}"
    return str(error)


def s3_folder(uri: str) -> tuple[str, str]:
    """(bucket, prefix) of the folder to list for an S3 location: the folder itself, or a file's folder."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    folder, _, last = key.rstrip("/").rpartition("/")
    if "." in last:
        return bucket, f"{folder}/" if folder else ""
    return bucket, f"{key.rstrip('/')}/" if key else ""
