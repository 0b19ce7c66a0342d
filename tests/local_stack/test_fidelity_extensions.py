"""Where moto 5.2 differs from AWS in ways the platform's Terraform noticed: S3 policies and lifecycle, Lambda."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

from pipelines.config import load_config

BUCKET = load_config("dev").workload.data_bucket_name


def _tls_only_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]})


def test_a_tls_only_bucket_policy_does_not_block_object_access(dev_session):
    # The local stack stands in for an HTTPS endpoint; moto alone answers 403 to every object call here.
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_tls_only_policy(BUCKET))
    s3.put_object(Bucket=BUCKET, Key="data/train/part1/a.csv", Body=b"1,2\n")
    assert s3.get_object(Bucket=BUCKET, Key="data/train/part1/a.csv")["Body"].read() == b"1,2\n"


def test_an_unconditional_deny_is_still_enforced(dev_session):
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="locked/a.csv", Body=b"x")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/locked/*"}]}))
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket=BUCKET, Key="locked/a.csv")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_lifecycle_rule_with_an_empty_prefix_filter_reads_back_as_written(dev_session):
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    rules = [
        {"ID": "all-objects", "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
        {"ID": "logs-only", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": rules})
    read = {rule["ID"]: rule["Filter"] for rule in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert read == {"all-objects": {"Prefix": ""}, "logs-only": {"Prefix": "logs/"}}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_lambda_logging_config_is_stored_defaulted_and_updated(dev_session):
    role = dev_session.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                               "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    lambda_client = dev_session.client("lambda")
    common = {"Role": role, "Runtime": "python3.11", "Handler": "handler.handler", "Code": {"ZipFile": _zip()}}
    lambda_client.create_function(FunctionName="defaulted", **common)
    assert lambda_client.get_function(FunctionName="defaulted")["Configuration"]["LoggingConfig"] == {
        "LogFormat": "Text", "LogGroup": "/aws/lambda/defaulted"}

    lambda_client.create_function(FunctionName="declared", LoggingConfig={"LogFormat": "Text", "LogGroup": "custom"},
                                  **common)
    assert lambda_client.get_function(FunctionName="declared")["Configuration"]["LoggingConfig"]["LogGroup"] == "custom"
    lambda_client.update_function_configuration(FunctionName="declared", LoggingConfig={"LogGroup": "other"})
    assert lambda_client.get_function_configuration(FunctionName="declared")["LoggingConfig"] == {
        "LogFormat": "Text", "LogGroup": "other"}
