"""InvokeEndpoint answers as SageMaker's runtime and the built-in XGBoost container do."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from botocore.exceptions import ClientError

from .conftest import DEV, REGION, REGISTRY, ROLE, XGBOOST_IMAGE


def test_csv_and_json_scores_equal_the_booster_on_the_same_rows(hosting, mammo, single_endpoint):
    single_endpoint("mammo", "v1")
    body, response = hosting.invoke("mammo", mammo.csv(), ContentType="text/csv")
    assert response["ContentType"] == "text/csv; charset=utf-8"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    scores = np.array([float(line) for line in body.splitlines()])
    assert len(scores) == len(mammo.rows) == 150
    np.testing.assert_allclose(scores, mammo.scores("v1"), rtol=0, atol=1e-6)

    body, response = hosting.invoke("mammo", mammo.csv(), ContentType="text/csv", Accept="application/json")
    assert response["ContentType"] == "application/json"
    predictions = json.loads(body)["predictions"]
    np.testing.assert_allclose([p["score"] for p in predictions], mammo.scores("v1"), rtol=0, atol=1e-6)


def test_the_containers_415_and_400_answers_come_back_as_model_errors(hosting, mammo, single_endpoint):
    single_endpoint("mammo", "v1")
    with pytest.raises(ClientError) as unsupported:
        hosting.invoke("mammo", b"\x89PNG", ContentType="image/png")
    error = unsupported.value.response
    assert error["Error"]["Code"] == "ModelError"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["OriginalStatusCode"] == 415
    assert error["OriginalMessage"].startswith("image/png is not an accepted ContentType: csv, libsvm")
    assert error["LogStreamArn"] == f"arn:aws:logs:{REGION}:{DEV}:log-group:/aws/sagemaker/Endpoints/mammo"
    assert error["Error"]["Message"].startswith('Received client error (415) from primary with message "image/png')

    with pytest.raises(ClientError) as unreadable:
        hosting.invoke("mammo", b"age,shape,margin,density\n", ContentType="text/csv")
    assert unreadable.value.response["OriginalStatusCode"] == 415
    assert "Loading csv data failed with Exception" in unreadable.value.response["OriginalMessage"]

    with pytest.raises(ClientError) as wrong_width:  # the label column sent along with the features
        hosting.invoke("mammo", mammo.csv(np.column_stack([mammo.rows, np.ones(len(mammo.rows))])),
                       ContentType="text/csv")
    assert wrong_width.value.response["OriginalStatusCode"] == 400
    assert wrong_width.value.response["OriginalMessage"] == (
        "Unable to evaluate payload provided: Feature size of text/csv inference data 5 is not consistent with "
        "feature size of trained model 4.")


def test_unknown_endpoint_and_target_model_on_a_single_model_endpoint_are_validation_errors(hosting, mammo,
                                                                                          single_endpoint):
    with pytest.raises(ClientError) as unknown:
        hosting.invoke("nowhere", mammo.csv(), ContentType="text/csv")
    assert unknown.value.response["Error"] == {
        "Code": "ValidationError", "Message": f"Endpoint nowhere of account {DEV} not found."}
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    single_endpoint("mammo", "v1")
    with pytest.raises(ClientError) as target_model:
        hosting.invoke("mammo", mammo.csv(), ContentType="text/csv", TargetModel="v1.tar.gz")
    assert target_model.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": "Endpoint mammo is not a multi-model endpoint and does not support target model header."}


def test_an_endpoint_creating_is_not_invocable_and_answers_once_in_service(hosting, mammo):
    hosting.model("mammo-model", "v2")
    hosting.config("mammo-config", ("AllTraffic", "mammo-model", 1.0))
    hosting.sm.create_endpoint(EndpointName="mammo", EndpointConfigName="mammo-config")
    description = hosting.describe("mammo")
    assert description["EndpointStatus"] == "Creating"
    assert description["ProductionVariants"][0]["VariantStatus"][0]["Status"] == "Creating"
    with pytest.raises(ClientError, match="Endpoint mammo of account 222222222222 not found"):
        hosting.invoke("mammo", mammo.csv(), ContentType="text/csv")
    with pytest.raises(ClientError, match='Cannot create already existing endpoint "arn:aws:sagemaker:'):
        hosting.sm.create_endpoint(EndpointName="mammo", EndpointConfigName="mammo-config")
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        hosting.sm.delete_endpoint(EndpointName="mammo")

    hosting.advance(3)
    description = hosting.describe("mammo")
    assert description["EndpointStatus"] == "InService"
    variant = description["ProductionVariants"][0]
    assert (variant["CurrentWeight"], variant["DesiredWeight"], variant["CurrentInstanceCount"]) == (1.0, 1.0, 2)
    assert variant["DeployedImages"][0]["SpecifiedImage"] == XGBOOST_IMAGE
    listed = hosting.sm.list_endpoints(StatusEquals="InService",
                                       CreationTimeBefore=description["LastModifiedTime"] + timedelta(hours=1))
    assert [e["EndpointName"] for e in listed["Endpoints"]] == ["mammo"]
    np.testing.assert_allclose(hosting.scores("mammo"), mammo.scores("v2"), rtol=0, atol=1e-6)

    hosting.sm.delete_endpoint(EndpointName="mammo")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        hosting.describe("mammo")


def test_a_missing_artifact_fails_the_endpoint_with_the_reason(hosting, mammo):
    hosting.model("ghost-model", ModelDataUrl="s3://endpoint-tests-artifacts-111111111111/none/model.tar.gz")
    hosting.config("ghost-config", ("AllTraffic", "ghost-model", 1.0))
    description = hosting.endpoint("ghost", "ghost-config")
    assert description["EndpointStatus"] == "Failed"
    assert description["FailureReason"] == (
        'Failed to download model data for container "container_1" from URL: '
        '"s3://endpoint-tests-artifacts-111111111111/none/model.tar.gz". Please ensure that there is an object '
        "located at the URL and that the role passed to CreateModel has permissions to download the object.")


def test_a_package_whose_container_names_an_empty_script_never_passes_the_health_check(hosting, mammo):
    """The built-in XGBoost container serves in algorithm mode only without SAGEMAKER_PROGRAM: an empty one (SDK v3
    writes it for a model with no script) is taken for a module to import, and the container never answers its ping.
    A script the local stack cannot run is refused when the endpoint is created."""
    uri = hosting.upload("registry/empty-program/1/model.tar.gz", "v2")
    registry_sm = hosting.registry.client("sagemaker")
    registry_sm.create_model_package_group(ModelPackageGroupName="empty-program")
    package_arn = registry_sm.create_model_package(
        ModelPackageGroupName="empty-program", ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": uri, "Environment": {
            "SAGEMAKER_PROGRAM": "", "SAGEMAKER_SUBMIT_DIRECTORY": "", "SAGEMAKER_REGION": REGION}}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    hosting.sm.create_model(ModelName="empty-program", ExecutionRoleArn=ROLE,
                            Containers=[{"ModelPackageName": package_arn}])
    hosting.config("empty-program-config", ("AllTraffic", "empty-program", 1.0))
    description = hosting.endpoint("empty-program", "empty-program-config")
    assert (description["EndpointStatus"], description["FailureReason"]) == (
        "Failed", "The primary container for production variant AllTraffic did not pass the ping health check. "
                  "Please check CloudWatch logs for this endpoint.")

    hosting.model("scripted", "v2", Environment={"SAGEMAKER_PROGRAM": "serve.py"})
    hosting.config("scripted-config", ("AllTraffic", "scripted", 1.0))
    with pytest.raises(ClientError, match=r"XGBoost algorithm only, not a script \(SAGEMAKER_PROGRAM=serve.py"):
        hosting.sm.create_endpoint(EndpointName="scripted", EndpointConfigName="scripted-config")


def test_a_model_package_of_the_central_registry_is_served_from_its_account(hosting, mammo):
    uri = hosting.upload("registry/mammo-severity/1/model.tar.gz", "v2")
    registry_sm = hosting.registry.client("sagemaker")
    registry_sm.create_model_package_group(ModelPackageGroupName="mammo-severity")
    package_arn = registry_sm.create_model_package(
        ModelPackageGroupName="mammo-severity", ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": uri}],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    assert package_arn.startswith(f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/")
    hosting.sm.create_model(ModelName="from-registry", ExecutionRoleArn=ROLE,
                            Containers=[{"ModelPackageName": package_arn}])
    hosting.config("from-registry-config", ("AllTraffic", "from-registry", 1.0))
    assert hosting.endpoint("from-registry", "from-registry-config")["EndpointStatus"] == "InService"
    np.testing.assert_allclose(hosting.scores("from-registry"), mammo.scores("v2"), rtol=0, atol=1e-6)


def test_variants_share_traffic_by_weight_and_target_variant_picks_one(hosting, mammo):
    hosting.model("a-model", "v1")
    hosting.model("b-model", "v2")
    hosting.config("ab-config", ("A", "a-model", 3.0), ("B", "b-model", 1.0))
    hosting.endpoint("ab", "ab-config")
    row = mammo.csv(mammo.rows[:1])
    served = [hosting.invoke("ab", row, ContentType="text/csv")[1]["InvokedProductionVariant"] for _ in range(40)]
    assert set(served) == {"A", "B"}
    assert served.count("A") > served.count("B")
    body, response = hosting.invoke("ab", row, ContentType="text/csv", TargetVariant="B")
    assert response["InvokedProductionVariant"] == "B"
    assert float(body) == pytest.approx(float(mammo.scores("v2")[0]), abs=1e-6)

    hosting.sm.update_endpoint_weights_and_capacities(EndpointName="ab", DesiredWeightsAndCapacities=[
        {"VariantName": "A", "DesiredWeight": 0.0}])
    served = {hosting.invoke("ab", row, ContentType="text/csv")[1]["InvokedProductionVariant"] for _ in range(10)}
    assert served == {"B"}


def test_invoke_endpoint_reports_the_models_4xx_answer_as_bad_input(hosting, single_endpoint, aws, capsys):
    # Regression: a payload the model refuses (ModelError, OriginalStatusCode 400) exited 3 like a broken model.
    from pipelines.cli import invoke_endpoint

    single_endpoint("mammo-severity", "v1")
    status = invoke_endpoint.main(["--env", "dev", "--endpoint", "mammo-severity", "--csv", "50,1,1,3,1"],
                                  env={"AWS_ENDPOINT_URL": aws.endpoint})
    assert status == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("invoke-endpoint: error: endpoint mammo-severity's model refused the request (400): "
                           "Unable to evaluate payload provided: Feature size of text/csv inference data 5")


def _csv_of_length(length: int) -> bytes:
    """Two rows of the model's four features, the first one's Age padded with zeros to make `length` bytes."""
    rows = b"25.,1,1,3\n75,4,5,3\n"
    return rows[:3] + b"0" * (length - len(rows)) + rows[3:]


def test_a_body_over_6_mib_is_a_validation_error_and_6_mib_is_served(hosting, mammo, single_endpoint):
    single_endpoint("mammo", "v1")
    limit = 6 * 1024 * 1024  # botocore's sagemaker-runtime model: BodyBlob max 6291456
    at_limit = _csv_of_length(limit)
    assert len(at_limit) == limit
    body, response = hosting.invoke("mammo", at_limit, ContentType="text/csv")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    np.testing.assert_allclose([float(line) for line in body.splitlines()],
                               mammo.scores("v1", np.array([[25, 1, 1, 3], [75, 4, 5, 3]], dtype=np.float32)),
                               rtol=0, atol=1e-6)

    for name in ("mammo", "nowhere"):  # the input is validated before the endpoint is looked up
        with pytest.raises(ClientError) as too_long:
            hosting.invoke(name, _csv_of_length(limit + 1), ContentType="text/csv")
        assert too_long.value.response["Error"] == {
            "Code": "ValidationError",
            "Message": "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must have "
                       "length less than or equal to 6291456"}
        assert too_long.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_empty_body_reaches_the_container_which_answers_no_content(hosting, single_endpoint):
    """The runtime does not refuse an empty body (it passes the model's input validation); the XGBoost container
    answers it 204 without content, which the runtime returns as a success with an empty body."""
    single_endpoint("mammo", "v1")
    body, response = hosting.invoke("mammo", b"", ContentType="text/csv")
    assert (response["ResponseMetadata"]["HTTPStatusCode"], body) == (200, "")
