"""`mlops-local ack apply|get|delete`: a stand-in for the ACK SageMaker controller, without a cluster.

It maps the resources to SageMaker API calls as the controller does, as a client of the AWS API only
(boto3 against the local stack, in the account of `--env`):
- `Pipeline`: CreatePipeline when the pipeline does not exist; UpdatePipeline when a field the spec sets
  differs from DescribePipeline's answer; no call when nothing differs; tags synced with AddTags/DeleteTags;
- `PipelineExecution`: StartPipelineExecution once; its status is read back with DescribePipelineExecution;
- delete: DeletePipeline (unless annotated `services.k8s.aws/deletion-policy: retain`), and
  StopPipelineExecution for an execution that has not ended.
The status the controller would write (ackResourceMetadata, conditions, the describe fields) is written into
the resource, kept as `<local dir>/ack/<namespace>/<kind>/<name>.yaml`; `ack get` refreshes it as the
controller's periodic resync would. Every file given to `apply` is checked (`export-ack-manifests --check`)
before the first call.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

from pipelines.ack import yaml_text
from pipelines.ack.documents import LoadedDocument, read_manifests
from pipelines.ack.schema import API_VERSION, RESOURCES, api_request
from pipelines.aws import Target, local_dir
from pipelines.config import load_config
from pipelines.errors import MlopsError, UsageError

DEFAULT_NAMESPACE = "default"
DELETION_POLICY = "services.k8s.aws/deletion-policy"
SYNCED = "ACK.ResourceSynced"
EXECUTION_ENDED = ("Succeeded", "Failed", "Stopped")
# The order the controller converges to: an execution needs its pipeline.
APPLY_ORDER = ("Pipeline", "PipelineExecution")
# Spec fields of a started execution that UpdatePipelineExecution can change; the others are fixed.
EXECUTION_UPDATABLE = ("pipelineExecutionDescription", "pipelineExecutionDisplayName", "parallelismConfiguration")


@dataclass(frozen=True)
class Change:
    """What applying or deleting one resource did."""

    kind: str
    namespace: str
    name: str
    action: str

    def __str__(self) -> str:
        return f"{self.kind.lower()}/{self.name} ({self.namespace}): {self.action}"


def kind_of(text: str) -> str:
    """'pipeline', 'pipelines', 'PipelineExecution', 'pipelineexecutions' ... -> the kind."""
    wanted = text.lower()
    for kind, resource in RESOURCES.items():
        if wanted in (kind.lower(), resource.plural):
            return kind
    raise UsageError(f"unknown kind {text!r}: use pipeline or pipelineexecution")


def _timestamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _now() -> str:
    return _timestamp(dt.datetime.now(dt.UTC))


class AckController:
    """The controller's work for the resources of one account and region (the environment's)."""

    def __init__(self, env: str, session: boto3.Session, state_dir: Path | None = None):
        """The controller acting in `env`'s account with `session` (credentials of that account)."""
        config = load_config(env)
        config.require_workload()
        self.account_id, self.region = config.account_id, config.aws_region
        self.sagemaker = session.client("sagemaker", region_name=self.region)
        self.state_dir = state_dir if state_dir is not None else local_dir() / "ack"

    # --- the resources' files --------------------------------------------------------------------------------

    def path(self, kind: str, name: str, namespace: str) -> Path:
        return self.state_dir / namespace / kind.lower() / f"{name}.yaml"

    def read(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any] | None:
        path = self.path(kind, name, namespace)
        return yaml.safe_load(path.read_text()) if path.exists() else None

    def _write(self, resource: dict[str, Any]) -> None:
        metadata = resource["metadata"]
        path = self.path(resource["kind"], metadata["name"], metadata["namespace"])
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as stream:
                stream.write(yaml_text.dump(resource))
            os.replace(temporary, path)
        finally:
            Path(temporary).unlink(missing_ok=True)

    def stored(self, kind: str | None = None, namespace: str | None = DEFAULT_NAMESPACE) -> list[dict[str, Any]]:
        """The stored resources of `kind` (all kinds when None) in `namespace` (all when None), sorted."""
        kinds = [kind] if kind else list(RESOURCES)
        folders = [self.state_dir / namespace] if namespace else sorted(self.state_dir.glob("*"))
        found = []
        for folder in folders:
            for each in kinds:
                found.extend(yaml.safe_load(path.read_text())
                             for path in sorted((folder / each.lower()).glob("*.yaml")))
        return found

    # --- apply -----------------------------------------------------------------------------------------------

    def apply(self, paths: Iterable[Path], namespace: str | None = None) -> list[Change]:
        """Check every manifest, then create, update or start what they describe (Pipelines first)."""
        documents = read_manifests(paths)
        resources = [self._resource(document, namespace) for document in documents]
        for resource in resources:
            self._check_unchanged_execution(resource)
        resources.sort(key=lambda r: APPLY_ORDER.index(r["kind"]))
        changes = []
        for resource in resources:
            reconcile = self._apply_pipeline if resource["kind"] == "Pipeline" else self._apply_execution
            changes.append(reconcile(resource))
        return changes

    def _resource(self, document: LoadedDocument, namespace: str | None) -> dict[str, Any]:
        data = document.data
        metadata = dict(data["metadata"])
        given = metadata.get("namespace")
        if namespace and given and given != namespace:
            raise UsageError(f"{document.source}: metadata.namespace is {given!r}, but the namespace given is "
                             f"{namespace!r}")
        metadata["namespace"] = given or namespace or DEFAULT_NAMESPACE
        return {"apiVersion": API_VERSION, "kind": data["kind"], "metadata": metadata, "spec": data["spec"]}

    def _check_unchanged_execution(self, resource: dict[str, Any]) -> None:
        """An execution's fixed fields cannot change once it started (before any call: nothing half-applied)."""
        if resource["kind"] != "PipelineExecution":
            return
        metadata = resource["metadata"]
        stored = self.read("PipelineExecution", metadata["name"], metadata["namespace"])
        if stored is None:
            return
        changed = sorted(key for key in set(stored["spec"]) | set(resource["spec"])
                         if key not in EXECUTION_UPDATABLE and stored["spec"].get(key) != resource["spec"].get(key))
        if changed:
            raise UsageError(f"pipelineexecution/{metadata['name']}: spec.{changed[0]} cannot change once the "
                             "execution started: delete it and apply it again to start a new one")

    def _apply_pipeline(self, resource: dict[str, Any]) -> Change:
        spec, metadata = resource["spec"], resource["metadata"]
        name = spec["pipelineName"]
        previous = self.read("Pipeline", metadata["name"], metadata["namespace"])
        latest = self._describe_pipeline(name)
        if latest is None:
            self._call("CreatePipeline", self.sagemaker.create_pipeline, **api_request("CreatePipeline", spec))
            action = "created (CreatePipeline)"
        else:
            differing = self._pipeline_delta(spec, latest)
            tags_changed = self._sync_tags(latest["PipelineArn"], spec.get("tags"))
            if differing:
                request = api_request("UpdatePipeline", spec)
                self._call("UpdatePipeline", self.sagemaker.update_pipeline, **request)
                action = f"updated (UpdatePipeline: {', '.join(differing)})"
            elif tags_changed:
                action = "tags updated"
            else:
                action = "unchanged (no call)"
        resource["status"] = self._pipeline_status(name, (previous or {}).get("status"))
        self._write(resource)
        return Change("Pipeline", metadata["namespace"], metadata["name"], action)

    @staticmethod
    def _pipeline_delta(spec: Mapping[str, Any], latest: Mapping[str, Any]) -> list[str]:
        """Spec fields that differ from the pipeline as it is (fields the spec leaves out are not compared)."""
        differing = []
        if json.loads(spec.get("pipelineDefinition") or "null") != json.loads(latest.get("PipelineDefinition") or
                                                                               "null"):
            differing.append("pipelineDefinition")
        described = {"roleARN": "RoleArn", "pipelineDisplayName": "PipelineDisplayName",
                     "pipelineDescription": "PipelineDescription"}
        differing.extend(field for field, member in described.items()
                         if field in spec and spec[field] != latest.get(member))
        if "parallelismConfiguration" in spec and api_request("UpdatePipeline", spec).get(
                "ParallelismConfiguration") != latest.get("ParallelismConfiguration"):
            differing.append("parallelismConfiguration")
        return differing

    def _sync_tags(self, arn: str, tags: list[dict[str, str]] | None) -> bool:
        if tags is None:
            return False
        current = {tag["Key"]: tag["Value"] for tag in self._call("ListTags", self.sagemaker.list_tags,
                                                                  ResourceArn=arn).get("Tags", [])}
        desired = {tag["key"]: tag["value"] for tag in tags}
        removed = sorted(set(current) - set(desired))
        added = [{"Key": key, "Value": value} for key, value in sorted(desired.items()) if current.get(key) != value]
        if removed:
            self._call("DeleteTags", self.sagemaker.delete_tags, ResourceArn=arn, TagKeys=removed)
        if added:
            self._call("AddTags", self.sagemaker.add_tags, ResourceArn=arn, Tags=added)
        return bool(removed or added)

    def _apply_execution(self, resource: dict[str, Any]) -> Change:
        spec, metadata = resource["spec"], resource["metadata"]
        stored = self.read("PipelineExecution", metadata["name"], metadata["namespace"])
        arn = ((stored or {}).get("status", {}).get("ackResourceMetadata") or {}).get("arn")
        if arn is None:
            request = api_request("StartPipelineExecution", spec)
            arn = self._call("StartPipelineExecution", self.sagemaker.start_pipeline_execution,
                             **request)["PipelineExecutionArn"]
            action = f"started {arn}"
        else:
            changed = [key for key in EXECUTION_UPDATABLE if key in spec and spec.get(key) != stored["spec"].get(key)]
            if changed:
                request = {"PipelineExecutionArn": arn, **api_request("UpdatePipelineExecution", spec)}
                self._call("UpdatePipelineExecution", self.sagemaker.update_pipeline_execution, **request)
                action = f"updated (UpdatePipelineExecution: {', '.join(changed)})"
            else:
                action = "unchanged (no call)"
        resource["status"] = self._execution_status(arn, (stored or {}).get("status"))
        self._write(resource)
        return Change("PipelineExecution", metadata["namespace"], metadata["name"], action)

    # --- status ----------------------------------------------------------------------------------------------

    def _resource_metadata(self, arn: str) -> dict[str, str]:
        return {"arn": arn, "ownerAccountID": self.account_id, "region": self.region}

    def _pipeline_status(self, name: str, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        latest = self._describe_pipeline(name)
        if latest is None:
            raise MlopsError(f"pipeline {name} is not there right after it was created or updated")
        status = {
            "ackResourceMetadata": self._resource_metadata(latest["PipelineArn"]),
            "conditions": [_condition(SYNCED, True, previous)],
            "creationTime": _timestamp(latest.get("CreationTime")),
            "lastModifiedTime": _timestamp(latest.get("LastModifiedTime")),
            "pipelineStatus": latest.get("PipelineStatus"),
        }
        return {key: value for key, value in status.items() if value is not None}

    def _execution_status(self, arn: str, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        latest = self._call("DescribePipelineExecution", self.sagemaker.describe_pipeline_execution,
                            PipelineExecutionArn=arn)
        execution_status = latest.get("PipelineExecutionStatus")
        ended = execution_status in EXECUTION_ENDED
        message = None if ended else f"PipelineExecution is in {execution_status} status."
        status = {
            "ackResourceMetadata": self._resource_metadata(arn),
            "conditions": [_condition(SYNCED, ended, previous, message)],
            "creationTime": _timestamp(latest.get("CreationTime")),
            "failureReason": latest.get("FailureReason"),
            "lastModifiedTime": _timestamp(latest.get("LastModifiedTime")),
            "pipelineExecutionStatus": execution_status,
        }
        # AWS leaves FailureReason out unless the execution failed; an emulator may answer "".
        return {key: value for key, value in status.items() if value not in (None, "")}

    def refresh(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Re-read the resource's status from AWS and write it back (the controller's periodic resync)."""
        arn = (resource.get("status", {}).get("ackResourceMetadata") or {}).get("arn")
        if resource["kind"] == "PipelineExecution" and arn:
            resource["status"] = self._execution_status(arn, resource.get("status"))
        elif resource["kind"] == "Pipeline" and self._describe_pipeline(resource["spec"]["pipelineName"]):
            resource["status"] = self._pipeline_status(resource["spec"]["pipelineName"], resource.get("status"))
        self._write(resource)
        return resource

    def get(self, kind: str | None = None, name: str | None = None,
            namespace: str | None = DEFAULT_NAMESPACE) -> list[dict[str, Any]]:
        """The resources (refreshed); UsageError when a named one does not exist."""
        if name is not None:
            if kind is None or namespace is None:
                raise UsageError("getting a resource by name needs its kind and namespace")
            resource = self.read(kind, name, namespace)
            if resource is None:
                raise UsageError(f'{kind.lower()}/{name} not found in namespace "{namespace}"')
            return [self.refresh(resource)]
        return [self.refresh(resource) for resource in self.stored(kind, namespace)]

    # --- delete ----------------------------------------------------------------------------------------------

    def delete(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> Change:
        resource = self.read(kind, name, namespace)
        if resource is None:
            raise UsageError(f'{kind.lower()}/{name} not found in namespace "{namespace}"')
        if kind == "Pipeline":
            action = self._delete_pipeline(resource)
        else:
            action = self._delete_execution(resource)
        self.path(kind, name, namespace).unlink()
        return Change(kind, namespace, name, action)

    def delete_files(self, paths: Iterable[Path], namespace: str | None = None) -> list[Change]:
        """Delete the resources the manifests name (executions first, as their pipeline may go too)."""
        resources = [self._resource(document, namespace) for document in read_manifests(paths)]
        resources.sort(key=lambda r: -APPLY_ORDER.index(r["kind"]))
        return [self.delete(r["kind"], r["metadata"]["name"], r["metadata"]["namespace"]) for r in resources]

    def _delete_pipeline(self, resource: dict[str, Any]) -> str:
        if resource["metadata"].get("annotations", {}).get(DELETION_POLICY) == "retain":
            return "deleted; the pipeline is retained (deletion-policy retain)"
        name = resource["spec"]["pipelineName"]
        if self._describe_pipeline(name) is None:
            return "deleted; the pipeline was already gone"
        self._call("DeletePipeline", self.sagemaker.delete_pipeline, PipelineName=name)
        return "deleted (DeletePipeline)"

    def _delete_execution(self, resource: dict[str, Any]) -> str:
        arn = (resource.get("status", {}).get("ackResourceMetadata") or {}).get("arn")
        if arn is None:
            return "deleted; it had not started"
        status = self._call("DescribePipelineExecution", self.sagemaker.describe_pipeline_execution,
                            PipelineExecutionArn=arn)["PipelineExecutionStatus"]
        if status in EXECUTION_ENDED or status == "Stopping":
            return f"deleted; the execution had ended ({status})"
        self._call("StopPipelineExecution", self.sagemaker.stop_pipeline_execution, PipelineExecutionArn=arn)
        return "deleted (StopPipelineExecution)"

    # --- AWS -------------------------------------------------------------------------------------------------

    def _describe_pipeline(self, name: str) -> dict[str, Any] | None:
        try:
            return self.sagemaker.describe_pipeline(PipelineName=name)
        except ClientError as error:
            # AWS answers ResourceNotFound; moto ValidationException "Could not find pipeline ...".
            code, message = error.response["Error"].get("Code"), error.response["Error"].get("Message", "")
            if code == "ResourceNotFound" or "Could not find" in message:
                return None
            raise self._failed("DescribePipeline", error) from None

    def _call(self, operation: str, method, **request) -> dict[str, Any]:
        try:
            return method(**request)
        except ClientError as error:
            raise self._failed(operation, error) from None

    def _failed(self, operation: str, error: ClientError) -> MlopsError:
        code = error.response["Error"].get("Code", "unknown")
        message = error.response["Error"].get("Message", str(error))
        return MlopsError(f"{operation} in account {self.account_id}: AWS answered {code}: {message}")


def _condition(kind: str, ok: bool, previous: Mapping[str, Any] | None, message: str | None = None) -> dict[str, Any]:
    status = "True" if ok else "False"
    earlier = next((c for c in (previous or {}).get("conditions", []) if c.get("type") == kind), None)
    since = earlier["lastTransitionTime"] if earlier and earlier.get("status") == status else _now()
    condition = {"lastTransitionTime": since, "status": status, "type": kind}
    if message:
        condition["message"] = message
    return condition


def controller_for(environment: str, target: Target) -> AckController:
    """The controller acting in `environment`'s account through `target`."""
    config = load_config(environment)
    return AckController(environment, target.session(config.account_id, config.aws_region))


def yaml_list(resources: list[dict[str, Any]]) -> str:
    return yaml_text.dump_all(resources)


def table(resources: list[dict[str, Any]]) -> str:
    """kubectl get's table of resources."""
    if not resources:
        return "No resources found.\n"
    rows = [("NAMESPACE", "KIND", "NAME", "STATUS", "SYNCED")]
    for resource in resources:
        status = resource.get("status", {})
        synced = next((c["status"] for c in status.get("conditions", []) if c.get("type") == SYNCED), "")
        state = status.get("pipelineStatus") or status.get("pipelineExecutionStatus") or ""
        rows.append((resource["metadata"]["namespace"], resource["kind"], resource["metadata"]["name"], state, synced))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n"
                   for row in rows)
