"""Services act as their roles on a stack enforcing IAM: an endpoint downloads its model as the model's
execution role, S3 replicates as the bucket's replication role; what the role may not do fails the service's
work as in AWS (a Failed endpoint, a FAILED replication) and the denial is in the trail."""

from __future__ import annotations

import time

import boto3
import botocore.exceptions
import numpy as np
import pytest
import xgboost as xgb
from support import xgboost_model_archive

from localaws.sagemaker_endpoints.deployments import FLEET_READY_SECONDS, download_failure_reason
from localaws.tools.stack import advance_clock

from .support import ADMIN, REGION, allow, client_for, policy, trail_events

ACCOUNT = "123456789012"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
POLL_SECONDS, POLL_LIMIT = 0.05, 400


def _service_role(stack, name: str, service: str, *statements: dict) -> str:
    trust = policy({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})
    iam = client_for(stack, "iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy(*statements))
    return arn


def _denials(stack, action: str) -> list[str]:
    return [event["errorMessage"] for event in trail_events(stack) if event.get("errorCode")
            and f"is not authorized to perform: {action} " in event["errorMessage"]]


# ------------------------------------------------------------------------------- endpoints

def test_an_endpoint_downloads_its_model_as_the_models_execution_role(stack_in):
    stack = stack_in("enforce")
    s3, sagemaker = client_for(stack, "s3"), client_for(stack, "sagemaker")
    s3.create_bucket(Bucket="served-models")
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(np.array([[0.0], [1.0]]), label=[0, 1]), 1)
    s3.put_object(Bucket="served-models", Key="model.tar.gz", Body=xgboost_model_archive(booster))
    uri = "s3://served-models/model.tar.gz"
    reader = _service_role(stack, "endpoint-reader", "sagemaker.amazonaws.com",
                           allow("s3:GetObject", "arn:aws:s3:::served-models/*"))
    # Its policy allows what it may do, but not reading the artifacts.
    stranger = _service_role(stack, "endpoint-stranger", "sagemaker.amazonaws.com",
                             allow("s3:PutObject", "arn:aws:s3:::served-models/*"))

    def deploy(name: str, role_arn: str) -> dict:
        sagemaker.create_model(ModelName=name, ExecutionRoleArn=role_arn,
                               PrimaryContainer={"Image": IMAGE, "ModelDataUrl": uri})
        sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large",
             "InitialInstanceCount": 1}])
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        advance_clock(stack.endpoint, FLEET_READY_SECONDS)
        return sagemaker.describe_endpoint(EndpointName=name)

    assert deploy("readable", reader)["EndpointStatus"] == "InService"
    failed = deploy("unreadable", stranger)
    assert (failed["EndpointStatus"], failed["FailureReason"]) == ("Failed", download_failure_reason(uri))
    denials = _denials(stack, "s3:GetObject")
    assert [message.split(" is not", 1)[0] for message in denials] == \
        [f"User: arn:aws:sts::{ACCOUNT}:assumed-role/endpoint-stranger/mlops-local-stack"], denials
    assert "on resource: arn:aws:s3:::served-models/model.tar.gz because no identity-based policy allows the " \
           "s3:GetObject action" in denials[0]


# ------------------------------------------------------------------------------- replication

SOURCE, REPLICA, REPLICA_REGION = "replicated-source", "replicated-replica", "us-west-2"


def _regional(stack, service: str, region: str):
    return boto3.client(service, endpoint_url=stack.endpoint, region_name=region, **ADMIN)


def _replicated_buckets(stack) -> tuple[str, str]:
    """The source bucket (us-east-1) and its replica bucket (us-west-2), versioned, SSE-KMS by default with keys
    of their own: (source key ARN, replica key ARN)."""
    keys = []
    for bucket, region in ((SOURCE, REGION), (REPLICA, REPLICA_REGION)):
        key = _regional(stack, "kms", region).create_key()["KeyMetadata"]["Arn"]
        s3 = _regional(stack, "s3", region)
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=bucket, **extra)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
        keys.append(key)
    return keys[0], keys[1]


def _replication_role(stack, name: str, source_key: str, replica_key: str, encrypt: bool) -> str:
    """The replication role as AWS documents it; without kms:Encrypt on the replica key unless `encrypt`."""
    via = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    replica_via = {"kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"}
    statements = [
        allow(["s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"], f"arn:aws:s3:::{SOURCE}/*"),
        allow(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], f"arn:aws:s3:::{REPLICA}/*"),
        {**allow("kms:Decrypt", source_key), "Condition": {"StringEquals": via}},
        {**allow(["kms:Encrypt", "kms:GenerateDataKey"] if encrypt else "kms:GenerateDataKey", replica_key),
         "Condition": {"StringEquals": replica_via}},
    ]
    return _service_role(stack, name, "s3.amazonaws.com", *statements)


def _replication_status(s3, key: str) -> str:
    for _ in range(POLL_LIMIT):
        status = s3.head_object(Bucket=SOURCE, Key=key).get("ReplicationStatus")
        if status != "PENDING":
            return status
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"s3://{SOURCE}/{key} stayed PENDING")


@pytest.mark.parametrize("encrypt", [True, False], ids=["with-kms-encrypt", "without-kms-encrypt"])
def test_s3_replicates_as_the_replication_role(stack_in, encrypt):
    stack = stack_in("enforce")
    source_key, replica_key = _replicated_buckets(stack)
    role = _replication_role(stack, "replication", source_key, replica_key, encrypt)
    s3 = client_for(stack, "s3")
    s3.put_bucket_replication(Bucket=SOURCE, ReplicationConfiguration={"Role": role, "Rules": [{
        "ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": {"Bucket": f"arn:aws:s3:::{REPLICA}",
                        "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key}}}]})
    s3.put_object(Bucket=SOURCE, Key="model.tar.gz", Body=b"model")

    assert _replication_status(s3, "model.tar.gz") == ("COMPLETED" if encrypt else "FAILED")
    denials = _denials(stack, "kms:Encrypt")
    if encrypt:
        assert denials == []
        replica = _regional(stack, "s3", REPLICA_REGION).head_object(Bucket=REPLICA, Key="model.tar.gz")
        assert replica["SSEKMSKeyId"] == replica_key
        return
    assert denials == [f"User: arn:aws:sts::{ACCOUNT}:assumed-role/replication/mlops-local-stack is not "
                       f"authorized to perform: kms:Encrypt on resource: {replica_key} because no identity-based "
                       "policy allows the kms:Encrypt action"], denials
    with pytest.raises(botocore.exceptions.ClientError):
        _regional(stack, "s3", REPLICA_REGION).head_object(Bucket=REPLICA, Key="model.tar.gz")


def test_a_pipeline_whose_role_does_not_exist_cannot_start_and_sagemaker_is_denied_the_assume_role(stack_in):
    """SageMaker assumes the pipeline's role to run it; a role that does not exist has no trust policy, so STS
    denies the service (an error of the caller's request, never an internal failure of the stack)."""
    sagemaker = client_for(stack_in("enforce"), "sagemaker")
    definition = '{"Version": "2020-12-01", "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {}}]}'
    sagemaker.create_pipeline(PipelineName="orphan", PipelineDefinition=definition,
                              RoleArn=f"arn:aws:iam::{ACCOUNT}:role/never-created")

    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sagemaker.start_pipeline_execution(PipelineName="orphan")

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert ("User: sagemaker.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: "
            f"arn:aws:iam::{ACCOUNT}:role/never-created because no role trust policy allows") \
        in raised.value.response["Error"]["Message"]
