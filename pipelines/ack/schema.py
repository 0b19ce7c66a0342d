"""The ACK SageMaker controller's `Pipeline` and `PipelineExecution` CRDs, generated from botocore's model.

ACK generates its CRDs from the SageMaker API model: a resource's spec is its create operation's input shape
(CreatePipeline, StartPipelineExecution) in lowerCamel case with "Arn" spelled "ARN", minus the fields its
generator configuration ignores; its status is ACK's common block (ackResourceMetadata, conditions) plus the
describe output fields the controller reports. This module applies the same rules to botocore's copy of the
model, which gives the schemas of aws-controllers-k8s/sagemaker-controller at commit
285dbcf1302171b7c7c309716db40fd2d131880d (config/crd/bases/); fields the API gained after that commit are
listed in `NEWER_THAN_CONTROLLER` and left out, as the controller leaves them out.

`python -m pipelines.ack.schema [DIR]` writes the CRDs (default `ack/crds/`) for `kubectl apply -f`.
"""

from __future__ import annotations

import copy
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session

from pipelines.ack import yaml_text
from pipelines.config import REPO_ROOT

CONTROLLER_COMMIT = "285dbcf1302171b7c7c309716db40fd2d131880d"
GROUP = "sagemaker.services.k8s.aws"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
CRD_DIR = REPO_ROOT / "ack" / "crds"

# Words ACK's name rules spell in capitals inside a lowerCamel field name.
_INITIALISMS = {"Arn": "ARN", "Id": "ID", "Url": "URL", "Kms": "KMS"}
# Spec fields ACK's generator configuration ignores: the controller sends its own idempotency token, and the
# definition is given inline (pipelineDefinition), not by S3 location.
IGNORED_FIELDS = {"ClientRequestToken", "PipelineDefinitionS3Location"}
# Input fields botocore's model has that the pinned controller's API model did not have yet.
NEWER_THAN_CONTROLLER = {
    "CreatePipeline": {"PipelineVersionAliases"},
    "StartPipelineExecution": {"PipelineVersionId", "PipelineVersionAlias", "MlflowExperimentName", "RoleArn"},
}


@dataclass(frozen=True)
class Resource:
    """One ACK resource kind: the create operation behind its spec, the describe fields behind its status."""

    kind: str
    plural: str
    create_operation: str
    describe_operation: str
    status_fields: tuple[str, ...]
    printer_columns: tuple[dict[str, Any], ...]

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{GROUP}"


RESOURCES = {
    "Pipeline": Resource(
        kind="Pipeline", plural="pipelines", create_operation="CreatePipeline",
        describe_operation="DescribePipeline",
        status_fields=("CreationTime", "LastModifiedTime", "PipelineStatus"),
        printer_columns=({"jsonPath": ".status.pipelineStatus", "name": "STATUS", "type": "string"},),
    ),
    "PipelineExecution": Resource(
        kind="PipelineExecution", plural="pipelineexecutions", create_operation="StartPipelineExecution",
        describe_operation="DescribePipelineExecution",
        status_fields=("CreationTime", "FailureReason", "LastModifiedTime", "PipelineExecutionStatus"),
        printer_columns=(
            {"jsonPath": ".status.failureReason", "name": "FAILURE-REASON", "priority": 1, "type": "string"},
            {"jsonPath": ".status.pipelineExecutionStatus", "name": "STATUS", "type": "string"},
        ),
    ),
}


def ack_field_name(member: str) -> str:
    """A botocore member name as ACK spells the field: lowerCamel, with "Arn" as "ARN" ("RoleArn" -> "roleARN")."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+", member)
    words = [_INITIALISMS.get(word, word) for word in words]
    return words[0].lower() + "".join(words[1:])


@functools.cache
def _sagemaker_model():
    return botocore.session.get_session().get_service_model("sagemaker")


def _shape_schema(shape) -> dict[str, Any]:
    kind = shape.type_name
    if kind == "string":
        return {"type": "string"}
    if kind in ("integer", "long"):
        return {"format": "int64", "type": "integer"}
    if kind in ("float", "double"):
        return {"type": "number"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "timestamp":
        return {"format": "date-time", "type": "string"}
    if kind == "list":
        return {"items": _shape_schema(shape.member), "type": "array"}
    if kind == "map":
        return {"additionalProperties": _shape_schema(shape.value), "type": "object"}
    if kind == "structure":
        return _object_schema(shape.members, ())
    raise ValueError(f"no CRD type for botocore shape {shape.name} ({kind})")


def _object_schema(members, required) -> dict[str, Any]:
    schema: dict[str, Any] = {"properties": {ack_field_name(name): _shape_schema(member)
                                             for name, member in members.items()}, "type": "object"}
    if required:
        schema["required"] = sorted(ack_field_name(name) for name in required)
    return schema


def spec_schema(resource: Resource) -> dict[str, Any]:
    shape = _sagemaker_model().operation_model(resource.create_operation).input_shape
    left_out = IGNORED_FIELDS | NEWER_THAN_CONTROLLER.get(resource.create_operation, set())
    members = {name: member for name, member in shape.members.items() if name not in left_out}
    return _object_schema(members, [name for name in shape.required_members if name in members])


def _common_status() -> dict[str, Any]:
    """ACK's status block every resource has: where the resource lives and the controller's conditions."""
    text = {"type": "string"}
    return {
        "ackResourceMetadata": {
            "properties": {"arn": text, "ownerAccountID": text, "region": text},
            "required": ["ownerAccountID", "region"],
            "type": "object",
        },
        "conditions": {
            "items": {
                "properties": {
                    "lastTransitionTime": {"format": "date-time", "type": "string"},
                    "message": text, "reason": text, "status": text, "type": text,
                },
                "required": ["status", "type"],
                "type": "object",
            },
            "type": "array",
        },
    }


def status_schema(resource: Resource) -> dict[str, Any]:
    output = _sagemaker_model().operation_model(resource.describe_operation).output_shape
    properties = _common_status()
    properties.update({ack_field_name(name): _shape_schema(output.members[name]) for name in resource.status_fields})
    return {"properties": dict(sorted(properties.items())), "type": "object"}


def openapi_schema(kind: str) -> dict[str, Any]:
    """The openAPIV3Schema of the CRD of `kind` ("Pipeline" or "PipelineExecution")."""
    resource = RESOURCES[kind]
    return {
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema(resource),
            "status": status_schema(resource),
        },
        "type": "object",
    }


def crd(kind: str) -> dict[str, Any]:
    """The CustomResourceDefinition of `kind`, as `kubectl apply -f` takes it."""
    resource = RESOURCES[kind]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": resource.crd_name},
        "spec": {
            "group": GROUP,
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": resource.plural,
                      "singular": kind.lower()},
            "scope": "Namespaced",
            "versions": [{
                "additionalPrinterColumns": [dict(column) for column in resource.printer_columns],
                "name": VERSION,
                "schema": {"openAPIV3Schema": openapi_schema(kind)},
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
            }],
        },
    }


def crd_file_name(kind: str) -> str:
    return f"{GROUP}_{RESOURCES[kind].plural}.yaml"


def crd_yaml(kind: str) -> str:
    header = (f"# Generated by `python -m pipelines.ack.schema` from botocore's SageMaker model ({kind}), with the\n"
              f"# rules of the ACK SageMaker controller (Apache-2.0) at commit {CONTROLLER_COMMIT}.\n"
              "# Do not edit: regenerate, a test fails while this file is stale.\n")
    return header + yaml_text.dump(crd(kind), sort_keys=True)


def write_crds(directory: Path = CRD_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in RESOURCES:
        path = directory / crd_file_name(kind)
        path.write_text(crd_yaml(kind))
        written.append(path)
    return written


def api_request(operation: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The request of `operation` (e.g. CreatePipeline) that a resource's spec stands for, as the controller
    sends it: ACK field names back to API member names, recursively; spec fields the operation lacks dropped."""
    return _to_api(_sagemaker_model().operation_model(operation).input_shape, spec)


def _to_api(shape, value: Any) -> Any:
    if shape.type_name == "structure":
        members = {ack_field_name(name): (name, member) for name, member in shape.members.items()}
        return {members[key][0]: _to_api(members[key][1], item) for key, item in value.items() if key in members}
    if shape.type_name == "list":
        return [_to_api(shape.member, item) for item in value]
    return value


# --- strict validation ---------------------------------------------------------------------------------------

# The part of Kubernetes' ObjectMeta a manifest may set; the API server fills in the rest.
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
OBJECT_META = {
    "properties": {
        "name": {"maxLength": 253, "pattern": _DNS_SUBDOMAIN, "type": "string"},
        "namespace": {"maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "type": "string"},
        "labels": {"additionalProperties": {"type": "string"}, "type": "object"},
        "annotations": {"additionalProperties": {"type": "string"}, "type": "object"},
    },
    "required": ["name"],
    "type": "object",
}


def strict_schema(kind: str) -> dict[str, Any]:
    """The CRD schema with every unknown field rejected, the apiVersion and kind fixed and metadata checked.

    The CRDs themselves do not forbid unknown fields: the API server prunes them silently, which is exactly
    how a typo such as `roleArn` goes unnoticed. Validation here is stricter than the cluster on purpose.
    """
    schema = copy.deepcopy(openapi_schema(kind))
    schema["properties"]["apiVersion"] = {"const": API_VERSION, "type": "string"}
    schema["properties"]["kind"] = {"const": kind, "type": "string"}
    schema["properties"]["metadata"] = copy.deepcopy(OBJECT_META)
    schema["required"] = ["apiVersion", "kind", "metadata", "spec"]
    _forbid_unknown(schema)
    return schema


def _forbid_unknown(schema: dict[str, Any]) -> None:
    if "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for child in schema["properties"].values():
            _forbid_unknown(child)
    if isinstance(schema.get("items"), dict):
        _forbid_unknown(schema["items"])


def main(argv: list[str] | None = None) -> int:
    directory = Path(argv[0]) if argv else CRD_DIR
    for path in write_crds(directory):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
