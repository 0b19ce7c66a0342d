"""The generated CRDs against what the ACK SageMaker controller publishes, and the committed CRD files."""

from __future__ import annotations

import pytest
import yaml

from pipelines.ack import schema

# Read from the controller's published CRDs (aws-controllers-k8s/sagemaker-controller at commit
# 285dbcf1302171b7c7c309716db40fd2d131880d, config/crd/bases/): field name -> (type, format or None).
STRING, INT64, DATE_TIME = ("string", None), ("integer", "int64"), ("string", "date-time")
PIPELINE_SPEC = {
    "parallelismConfiguration": ("object", None),
    "pipelineDefinition": STRING,
    "pipelineDescription": STRING,
    "pipelineDisplayName": STRING,
    "pipelineName": STRING,
    "roleARN": STRING,
    "tags": ("array", None),
}
EXECUTION_SPEC = {
    "parallelismConfiguration": ("object", None),
    "pipelineExecutionDescription": STRING,
    "pipelineExecutionDisplayName": STRING,
    "pipelineName": STRING,
    "pipelineParameters": ("array", None),
    "selectiveExecutionConfig": ("object", None),
}
PIPELINE_STATUS = {
    "ackResourceMetadata": ("object", None),
    "conditions": ("array", None),
    "creationTime": DATE_TIME,
    "lastModifiedTime": DATE_TIME,
    "pipelineStatus": STRING,
}
EXECUTION_STATUS = {
    "ackResourceMetadata": ("object", None),
    "conditions": ("array", None),
    "creationTime": DATE_TIME,
    "failureReason": STRING,
    "lastModifiedTime": DATE_TIME,
    "pipelineExecutionStatus": STRING,
}
FACTS = {
    "Pipeline": {"plural": "pipelines", "spec": PIPELINE_SPEC, "required": ["pipelineName", "roleARN"],
                 "status": PIPELINE_STATUS,
                 "columns": [{"jsonPath": ".status.pipelineStatus", "name": "STATUS", "type": "string"}]},
    "PipelineExecution": {
        "plural": "pipelineexecutions", "spec": EXECUTION_SPEC, "required": ["pipelineName"],
        "status": EXECUTION_STATUS,
        "columns": [
            {"jsonPath": ".status.failureReason", "name": "FAILURE-REASON", "priority": 1, "type": "string"},
            {"jsonPath": ".status.pipelineExecutionStatus", "name": "STATUS", "type": "string"},
        ]},
}


def kind_and_format(field: dict) -> tuple[str, str | None]:
    return field["type"], field.get("format")


@pytest.mark.parametrize("kind", FACTS)
def test_crd_frame_matches_the_controller(kind):
    crd = schema.crd(kind)
    facts = FACTS[kind]
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"]["name"] == f"{facts['plural']}.sagemaker.services.k8s.aws"
    spec = crd["spec"]
    assert spec["group"] == "sagemaker.services.k8s.aws"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == kind
    assert spec["names"]["plural"] == facts["plural"]
    [version] = spec["versions"]
    assert version["name"] == "v1alpha1"
    assert version["served"] is True
    assert version["storage"] is True
    assert version["subresources"] == {"status": {}}
    assert version["additionalPrinterColumns"] == facts["columns"]
    top = version["schema"]["openAPIV3Schema"]["properties"]
    assert {name: field["type"] for name, field in top.items()} == {
        "apiVersion": "string", "kind": "string", "metadata": "object", "spec": "object", "status": "object"}


@pytest.mark.parametrize("kind", FACTS)
def test_spec_fields_types_and_required_match_the_controller(kind):
    spec = schema.openapi_schema(kind)["properties"]["spec"]
    assert {name: kind_and_format(field) for name, field in spec["properties"].items()} == FACTS[kind]["spec"]
    assert spec["required"] == FACTS[kind]["required"]
    # Left out as the controller leaves them out: its own idempotency token, the definition's S3 location.
    assert not {"clientRequestToken", "pipelineDefinitionS3Location"} & set(spec["properties"])


def test_nested_spec_shapes_use_ack_names():
    pipeline = schema.openapi_schema("Pipeline")["properties"]["spec"]["properties"]
    assert pipeline["tags"]["items"]["properties"] == {"key": {"type": "string"}, "value": {"type": "string"}}
    assert pipeline["parallelismConfiguration"]["properties"] == {
        "maxParallelExecutionSteps": {"format": "int64", "type": "integer"}}
    execution = schema.openapi_schema("PipelineExecution")["properties"]["spec"]["properties"]
    assert execution["pipelineParameters"]["items"]["properties"] == {
        "name": {"type": "string"}, "value": {"type": "string"}}
    selective = execution["selectiveExecutionConfig"]["properties"]
    assert set(selective) == {"selectedSteps", "sourcePipelineExecutionARN"}
    assert selective["selectedSteps"]["items"]["properties"] == {"stepName": {"type": "string"}}


@pytest.mark.parametrize("kind", FACTS)
def test_status_is_ack_common_block_plus_describe_fields(kind):
    status = schema.openapi_schema(kind)["properties"]["status"]["properties"]
    assert {name: kind_and_format(field) for name, field in status.items()} == FACTS[kind]["status"]
    metadata = status["ackResourceMetadata"]
    assert set(metadata["properties"]) == {"arn", "ownerAccountID", "region"}
    assert metadata["required"] == ["ownerAccountID", "region"]
    condition = status["conditions"]["items"]
    assert {name: kind_and_format(field) for name, field in condition["properties"].items()} == {
        "lastTransitionTime": DATE_TIME, "message": STRING, "reason": STRING, "status": STRING, "type": STRING}
    assert condition["required"] == ["status", "type"]


@pytest.mark.parametrize(("member", "field"), [
    ("RoleArn", "roleARN"), ("SourcePipelineExecutionArn", "sourcePipelineExecutionARN"),
    ("MaxParallelExecutionSteps", "maxParallelExecutionSteps"), ("Tags", "tags"), ("PipelineName", "pipelineName"),
])
def test_ack_field_names(member, field):
    assert schema.ack_field_name(member) == field


@pytest.mark.parametrize("kind", FACTS)
def test_committed_crd_files_are_current(kind):
    path = schema.CRD_DIR / schema.crd_file_name(kind)
    assert path.read_text() == schema.crd_yaml(kind), (
        f"{path} is stale: regenerate it with `python -m pipelines.ack.schema`")
    assert yaml.safe_load(path.read_text()) == schema.crd(kind)


def test_strict_schema_rejects_unknown_fields_at_every_object_level():
    def objects(node, path="$"):
        if isinstance(node, dict):
            if "properties" in node:
                yield path, node
            for key, value in node.items():
                yield from objects(value, f"{path}.{key}")

    for kind in FACTS:
        found = list(objects(schema.strict_schema(kind)))
        assert len(found) > 5
        assert [path for path, node in found if node.get("additionalProperties") is not False] == []
    # The CRDs themselves leave that to the API server (which prunes unknown fields).
    assert "additionalProperties" not in schema.openapi_schema("Pipeline")["properties"]["spec"]


def test_api_request_maps_ack_fields_back_to_the_api():
    spec = {"pipelineName": "p", "roleARN": "arn:aws:iam::1:role/r", "tags": [{"key": "k", "value": "v"}],
            "parallelismConfiguration": {"maxParallelExecutionSteps": 2}}
    assert schema.api_request("CreatePipeline", spec) == {
        "PipelineName": "p", "RoleArn": "arn:aws:iam::1:role/r", "Tags": [{"Key": "k", "Value": "v"}],
        "ParallelismConfiguration": {"MaxParallelExecutionSteps": 2}}
    # UpdatePipeline takes no tags: the field is dropped, not sent.
    assert "Tags" not in schema.api_request("UpdatePipeline", spec)
