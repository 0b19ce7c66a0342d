"""The operation a REST request calls is found by the route of botocore's model and remembered: requests that
differ only in what the route depends on (a sub-resource of the query, a header's presence, the method, the host)
are still told apart once their routes are remembered."""

from __future__ import annotations

import pytest
from moto.core.request import Request

from localaws.authorization import operations

REGION = "us-east-1"
LOOPBACK = "http://127.0.0.1:5000"


def _identified(method: str, url: str, headers: dict[str, str] | None = None) -> operations.Call:
    request = Request.from_primitives(method, url, headers or {}, b"")
    return operations.identify(request, operations.Headers.of(request), "s3", REGION)


@pytest.fixture(autouse=True)
def _no_remembered_routes():
    operations._ROUTES.clear()
    yield
    operations._ROUTES.clear()


# Each group: requests that differ in one thing the route reads, and the operation each one calls.
TOLD_APART = {
    "query sub-resource": [
        (("GET", f"{LOOPBACK}/data"), "ListObjects"),
        (("GET", f"{LOOPBACK}/data?versions"), "ListObjectVersions"),
        (("GET", f"{LOOPBACK}/data?uploads"), "ListMultipartUploads"),
        (("GET", f"{LOOPBACK}/data?list-type=2"), "ListObjectsV2"),
    ],
    "query sub-resource on an object": [
        (("POST", f"{LOOPBACK}/data/rows.csv?uploads"), "CreateMultipartUpload"),
        (("POST", f"{LOOPBACK}/data/rows.csv?uploadId=1"), "CompleteMultipartUpload"),
    ],
    "header present": [
        (("PUT", f"{LOOPBACK}/data/rows.csv"), "PutObject"),
        (("PUT", f"{LOOPBACK}/data/rows.csv", {"x-amz-copy-source": "/data/source.csv"}), "CopyObject"),
    ],
    "method": [
        (("GET", f"{LOOPBACK}/data/rows.csv"), "GetObject"),
        (("HEAD", f"{LOOPBACK}/data/rows.csv"), "HeadObject"),
    ],
}


@pytest.mark.parametrize("group", sorted(TOLD_APART))
def test_requests_differing_in_what_the_route_reads_are_told_apart_with_their_routes_remembered(group):
    requests = TOLD_APART[group]
    for _ in range(3):  # the first round matches each route; the next ones answer from what was remembered
        assert [_identified(*request).operation for request, _ in requests] == [name for _, name in requests]


def test_the_host_is_part_of_a_route():
    # A virtual-hosted bucket: the same path on another host names another bucket.
    for _ in range(2):
        path_style = _identified("GET", f"{LOOPBACK}/rows.csv")
        virtual = _identified("GET", "http://data.s3.amazonaws.com/rows.csv")
        assert (path_style.operation, path_style.params["Bucket"]) == ("ListObjects", "rows.csv")
        assert (virtual.operation, virtual.params["Bucket"], virtual.params["Key"]) == ("GetObject", "data",
                                                                                      "rows.csv")


def test_a_repeated_request_is_routed_once_and_its_parameters_are_its_own(monkeypatch):
    matches = []
    router = operations.get_service_router

    def counting(service):
        matches.append(service)
        return router(service)

    monkeypatch.setattr(operations, "get_service_router", counting)
    first = _identified("PUT", f"{LOOPBACK}/data/rows.csv", {"x-amz-server-side-encryption": "aws:kms"})
    second = _identified("PUT", f"{LOOPBACK}/data/rows.csv", {"x-amz-server-side-encryption": "AES256"})
    assert matches == ["s3"]
    # A header's value selects no operation, but the parameters are each request's own.
    assert (first.operation, first.params["ServerSideEncryption"]) == ("PutObject", "aws:kms")
    assert (second.operation, second.params["ServerSideEncryption"]) == ("PutObject", "AES256")
