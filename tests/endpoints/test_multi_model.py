"""Multi-model endpoints: TargetModel loads on first use, stays cached, and is reloaded only by an update."""

from __future__ import annotations

import numpy as np
import pytest
from botocore.exceptions import ClientError

from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS

from .conftest import ARTIFACTS_BUCKET

PREFIX = f"s3://{ARTIFACTS_BUCKET}/multi-model/"


@pytest.fixture
def multi_model(hosting) -> str:
    hosting.upload("multi-model/mammo-severity/v1.tar.gz", "v1")
    hosting.model("mammo-mme-model", ModelDataUrl=PREFIX, Mode="MultiModel")
    hosting.config("mammo-mme-config", ("AllTraffic", "mammo-mme-model", 1.0))
    assert hosting.endpoint("mammo-mme", "mammo-mme-config")["EndpointStatus"] == "InService"
    return "mammo-mme"


def test_target_model_loads_on_first_use_and_an_overwrite_is_served_only_after_an_update(hosting, mammo,
                                                                                        multi_model):
    target = "mammo-severity/v1.tar.gz"
    np.testing.assert_allclose(hosting.scores(multi_model, TargetModel=target), mammo.scores("v1"), atol=1e-6,
                               rtol=0)
    hosting.upload(f"multi-model/{target}", "v2")  # overwritten after it was loaded: still v1 here
    np.testing.assert_allclose(hosting.scores(multi_model, TargetModel=target), mammo.scores("v1"), atol=1e-6,
                               rtol=0)
    hosting.upload("multi-model/mammo-severity/v2.tar.gz", "v2")  # a model not loaded yet: loaded as it is
    np.testing.assert_allclose(hosting.scores(multi_model, TargetModel="mammo-severity/v2.tar.gz"),
                               mammo.scores("v2"), atol=1e-6, rtol=0)

    hosting.sm.update_endpoint(EndpointName=multi_model, EndpointConfigName="mammo-mme-config")
    hosting.advance(FLEET_READY_SECONDS)
    assert hosting.describe(multi_model)["EndpointStatus"] == "InService"
    np.testing.assert_allclose(hosting.scores(multi_model, TargetModel=target), mammo.scores("v2"), atol=1e-6,
                               rtol=0)


def test_an_unknown_or_missing_target_model_is_a_validation_error(hosting, mammo, multi_model):
    with pytest.raises(ClientError) as unknown:
        hosting.invoke(multi_model, mammo.csv(), ContentType="text/csv", TargetModel="mammo-severity/v9.tar.gz")
    assert unknown.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": f"Failed to download model data(bucket: {ARTIFACTS_BUCKET}, key: multi-model/mammo-severity/"
                   "v9.tar.gz). Please ensure that there is an object located at the URL and that the role passed "
                   "to CreateModel has permissions to download the model."}
    with pytest.raises(ClientError, match=r"Request [0-9a-f-]+ is missing a target model header\."):
        hosting.invoke(multi_model, mammo.csv(), ContentType="text/csv")
