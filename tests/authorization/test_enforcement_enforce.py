"""Enforce mode: calls the principal's policies do not allow are denied in the service's shape, with AWS's message."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile

import pytest

from localaws.tools.stack import call_route

from .support import (
    ACCOUNT,
    OTHER_ACCOUNT,
    REGION,
    admin_in,
    allow,
    client_for,
    error_of,
    object_in,
    policy,
    trail_events,
    user_with_keys,
)


def test_a_wrong_secret_key_is_a_signature_mismatch_in_each_service_shape(stack_in):
    stack = stack_in("enforce")
    wrong = {"aws_access_key_id": "testing", "aws_secret_access_key": "not-the-secret"}
    sts_error = error_of(lambda: client_for(stack, "sts", wrong).get_caller_identity())
    assert sts_error["Code"] == "SignatureDoesNotMatch"
    assert sts_error["Message"] == ("The request signature we calculated does not match the signature you provided. "
                                    "Check your AWS Secret Access Key and signing method. Consult the service "
                                    "documentation for details.")
    s3_error = error_of(lambda: client_for(stack, "s3", wrong).list_buckets())
    assert s3_error["Code"] == "SignatureDoesNotMatch"
    assert s3_error["Message"].endswith("Check your key and signing method.")


def test_an_unknown_access_key_is_an_invalid_token(stack_in):
    stack = stack_in("enforce")
    unknown = {"aws_access_key_id": "AKIAUNKNOWNKEY000000", "aws_secret_access_key": "x"}
    error = error_of(lambda: client_for(stack, "sts", unknown).get_caller_identity())
    assert (error["Code"], error["Message"]) == ("InvalidClientTokenId",
                                                 "The security token included in the request is invalid.")


def test_a_role_without_s3_get_object_is_denied_with_aws_message_and_the_trail_shows_it(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    iam = client_for(stack, "iam")
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                    "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="reader", PolicyName="list", PolicyDocument=policy(allow("s3:ListBucket")))
    alice = user_with_keys(stack, "alice", allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/reader"))
    answer = client_for(stack, "sts", alice).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/reader",
                                                         RoleSessionName="job")["Credentials"]
    reader = {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
              "aws_session_token": answer["SessionToken"]}
    assert client_for(stack, "s3", reader).list_objects_v2(Bucket="data")["KeyCount"] == 1

    error = error_of(lambda: client_for(stack, "s3", reader).get_object(Bucket="data", Key="rows.csv"))

    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/job is not authorized to perform: "
                                "s3:GetObject on resource: arn:aws:s3:::data/rows.csv because no identity-based "
                                "policy allows the s3:GetObject action")
    denied = [e for e in trail_events(stack) if e.get("errorCode")]
    assert [(e["eventSource"], e["eventName"], e["errorMessage"]) for e in denied] == [
        ("s3.amazonaws.com", "GetObject", error["Message"])]
    assert denied[0]["userIdentity"]["type"] == "AssumedRole"
    assert denied[0]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role/reader"
    assert denied[0]["resources"] == [{"ARN": "arn:aws:s3:::data/rows.csv", "accountId": ACCOUNT,
                                       "type": "AWS::S3::Object"}]


def test_the_sagemaker_execution_role_cannot_be_assumed_by_a_user(stack_in):
    """The dev execution role trusts only SageMaker (mlops-infra/modules/iam: sagemaker_trust): a user cannot
    assume it, with or without sts:AssumeRole in its own policies."""
    stack = stack_in("enforce")
    trust = policy({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                                  "ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:*"}}})
    role_arn = client_for(stack, "iam").create_role(RoleName="mlops-dev-sagemaker-execution",
                                                    AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    for name, statements in (("bob", ()), ("carol", (allow("sts:AssumeRole"),))):
        user = user_with_keys(stack, name, *statements)
        error = error_of(lambda user=user: client_for(stack, "sts", user).assume_role(RoleArn=role_arn,
                                                                                    RoleSessionName="try"))
        assert error["Code"] == "AccessDenied"
        assert error["Message"].startswith(f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: "
                                           f"sts:AssumeRole on resource: {role_arn}")


def test_cross_account_access_needs_the_identity_policy_and_the_resource_policy(stack_in):
    stack = stack_in("enforce")
    other = admin_in(stack, OTHER_ACCOUNT)
    object_in(stack, "shared", "model.tar.gz", b"m", other)
    iam = client_for(stack, "iam")
    dave = user_with_keys(stack, "dave", allow("s3:GetObject", "arn:aws:s3:::shared/*"))
    read = lambda: client_for(stack, "s3", dave).get_object(Bucket="shared", Key="model.tar.gz")  # noqa: E731

    assert "no resource-based policy allows" in error_of(read)["Message"]  # identity side only

    client_for(stack, "s3", other).put_bucket_policy(Bucket="shared", Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/dave"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared/*"}))
    assert read()["Body"].read() == b"m"  # both sides

    iam.delete_user_policy(UserName="dave", PolicyName="inline")
    assert "no identity-based policy allows" in error_of(read)["Message"]  # resource side only
    owner_trail = trail_events(stack, other, LookupAttributes=[{"AttributeKey": "EventName",
                                                                "AttributeValue": "GetObject"}])
    assert [e.get("errorCode") for e in owner_trail] == ["AccessDenied", None, "AccessDenied"]


def test_an_operation_without_a_mapping_is_denied_naming_the_mapping(stack_in):
    stack = stack_in("enforce")
    client_for(stack, "s3").create_bucket(Bucket="meta")
    everything = user_with_keys(stack, "erin", allow("*"))

    # Its IAM action is s3:GetAnalyticsConfiguration, a name the stack cannot derive from the operation's.
    error = error_of(lambda: client_for(stack, "s3", everything).list_bucket_analytics_configurations(Bucket="meta"))

    assert error["Code"] == "AccessDenied"
    assert "s3:ListBucketAnalyticsConfigurations" in error["Message"]
    assert "ACTION_NAMES in localaws/authorization/operations.py" in error["Message"]


def test_the_stack_routes_answer_only_its_own_tooling(stack_in):
    stack = stack_in("enforce")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(stack.endpoint + "/_mlops/clock")  # noqa: S310 - loopback
    assert caught.value.code == 403
    assert "now" in call_route(stack.endpoint, "clock")  # the tools send the server's token
    with urllib.request.urlopen(stack.endpoint + "/_mlops/health") as response:  # noqa: S310 - the probe is open
        assert json.load(response)["status"] == "ok"
    with urllib.request.urlopen(stack.endpoint + "/_mlops/console/registry") as response:  # noqa: S310 - a browser's
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(stack.endpoint + "/_mlops/consoles")  # noqa: S310 - not the console
    assert caught.value.code == 403


def test_session_policies_of_assume_role_narrow_the_session(stack_in):
    """AssumeRole's Policy and PolicyArns (moto keeps only the first; the layer keeps the ARNs) limit the session
    to what both the role and the session policies allow."""
    stack = stack_in("enforce")
    object_in(stack, "narrow", "k", b"v")
    iam = client_for(stack, "iam")
    iam.create_role(RoleName="wide", AssumeRolePolicyDocument=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName="wide", PolicyName="s3", PolicyDocument=policy(allow("s3:*")))
    get_only = iam.create_policy(PolicyName="get-only", PolicyDocument=policy(allow("s3:GetObject")))["Policy"]["Arn"]
    user = user_with_keys(stack, "gina", allow("sts:AssumeRole"))

    def session(**narrowing) -> dict[str, str]:
        answer = client_for(stack, "sts", user).assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/wide", RoleSessionName="narrow", **narrowing)["Credentials"]
        return {"aws_access_key_id": answer["AccessKeyId"], "aws_secret_access_key": answer["SecretAccessKey"],
                "aws_session_token": answer["SessionToken"]}

    listing = session(Policy=policy(allow("s3:ListBucket")))
    assert client_for(stack, "s3", listing).list_objects_v2(Bucket="narrow")["KeyCount"] == 1
    assert error_of(lambda: client_for(stack, "s3", listing).get_object(Bucket="narrow", Key="k"))["Code"] == \
        "AccessDenied"
    getting = session(PolicyArns=[{"arn": get_only}])
    assert client_for(stack, "s3", getting).get_object(Bucket="narrow", Key="k")["Body"].read() == b"v"
    assert error_of(lambda: client_for(stack, "s3", getting).list_objects_v2(Bucket="narrow"))["Code"] == \
        "AccessDenied"


def test_a_kms_grant_allows_its_grantee_what_the_key_policy_and_iam_do_not(stack_in):
    """The key policy delegates to IAM only; the user has no IAM permission for the key: a grant alone lets it
    encrypt, and only with the grant's encryption context."""
    stack = stack_in("enforce")
    key_id = client_for(stack, "kms").create_key(Policy=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
        "Resource": "*"}))["KeyMetadata"]["KeyId"]
    hana = user_with_keys(stack, "hana")
    hana_arn = f"arn:aws:iam::{ACCOUNT}:user/hana"
    encrypt = lambda **context: client_for(stack, "kms", hana).encrypt(  # noqa: E731
        KeyId=key_id, Plaintext=b"secret", **context)

    assert error_of(encrypt)["Message"] == (f"User: {hana_arn} is not authorized to perform: kms:Encrypt on resource: "
                                          f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id} because no identity-based "
                                          "policy allows the kms:Encrypt action")
    client_for(stack, "kms").create_grant(KeyId=key_id, GranteePrincipal=hana_arn, Operations=["Encrypt"],
                                          Constraints={"EncryptionContextSubset": {"purpose": "test"}})
    assert encrypt(EncryptionContext={"purpose": "test"})["KeyId"].endswith(key_id)
    assert error_of(lambda: encrypt(EncryptionContext={"purpose": "other"}))["Code"] == "AccessDeniedException"


def test_a_decrypt_that_names_no_key_is_decided_on_the_key_the_ciphertext_names(stack_in):
    """As in KMS, Decrypt without KeyId is authorized on the key the blob was encrypted under."""
    stack = stack_in("enforce")
    kms = client_for(stack, "kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    other_arn = kms.create_key()["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=key_arn, Plaintext=b"secret")["CiphertextBlob"]
    allowed = user_with_keys(stack, "ivan", allow("kms:Decrypt", key_arn))
    elsewhere = user_with_keys(stack, "judy", allow("kms:Decrypt", other_arn))

    assert client_for(stack, "kms", allowed).decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    assert error_of(lambda: client_for(stack, "kms", elsewhere).decrypt(CiphertextBlob=blob))["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/judy is not authorized to perform: kms:Decrypt on resource: {key_arn} "
        "because no identity-based policy allows the kms:Decrypt action")


def test_a_key_named_by_its_alias_arn_is_decided_on_the_key(stack_in):
    """DescribeKey with an alias ARN (how the platform names its workload key) is authorized on the key it names."""
    stack = stack_in("enforce")
    kms = client_for(stack, "kms")
    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/workload", TargetKeyId=key_arn)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/workload"
    kim = user_with_keys(stack, "kim", allow("kms:DescribeKey", key_arn))

    for named in (alias_arn, "alias/workload", key_arn):
        assert client_for(stack, "kms", kim).describe_key(KeyId=named)["KeyMetadata"]["Arn"] == key_arn


def test_kms_resource_aliases_holds_the_alias_names_of_the_key(stack_in):
    """kms:ResourceAliases is `alias/<name>` (how the platform's roles name the registry key), not the alias ARN."""
    stack = stack_in("enforce")
    kms = client_for(stack, "kms")
    key_id = kms.create_key(Policy=policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                           "Action": "kms:*", "Resource": "*"}))["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/mammo-model-artifacts", TargetKeyId=key_id)
    ivan = user_with_keys(stack, "ivan", {
        "Effect": "Allow", "Action": "kms:Encrypt", "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/mammo-model-artifacts"}}})

    assert client_for(stack, "kms", ivan).encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"].endswith(key_id)


def test_a_version_registered_into_a_group_is_authorized_on_the_package_it_becomes(stack_in):
    """CreateModelPackage with a group is on arn:...:model-package/<group>/<next version>: a policy on the
    group's packages allows it, one on another group's does not."""
    stack = stack_in("enforce")
    client_for(stack, "sagemaker").create_model_package_group(ModelPackageGroupName="Mammo")
    packages = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/mammo/*"
    judy = user_with_keys(stack, "judy", allow("sagemaker:CreateModelPackage", packages))
    other = user_with_keys(stack, "kate", allow("sagemaker:CreateModelPackage",
                                                f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/other/*"))
    register = lambda credentials: client_for(stack, "sagemaker", credentials).create_model_package(  # noqa: E731
        ModelPackageGroupName="Mammo", InferenceSpecification={
            "Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})

    assert register(judy)["ModelPackageArn"].endswith("model-package/mammo/1")
    assert error_of(lambda: register(other))["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/kate is not authorized to perform: sagemaker:CreateModelPackage on "
        f"resource: arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/mammo/2 because no identity-based policy "
        "allows the sagemaker:CreateModelPackage action")


def test_the_approval_status_a_registration_asks_for_is_the_model_approval_status_key(stack_in):
    """The central group admits PendingManualApproval registrations only (sagemaker:ModelApprovalStatus)."""
    stack = stack_in("enforce")
    client_for(stack, "sagemaker").create_model_package_group(ModelPackageGroupName="Pending")
    lena = user_with_keys(stack, "lena", {
        "Effect": "Allow", "Action": "sagemaker:CreateModelPackage",
        "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/pending/*",
        "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}})
    register = lambda status: client_for(stack, "sagemaker", lena).create_model_package(  # noqa: E731
        ModelPackageGroupName="Pending", ModelApprovalStatus=status, InferenceSpecification={
            "Containers": [{"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})

    assert error_of(lambda: register("Approved"))["Code"] == "AccessDeniedException"
    assert register("PendingManualApproval")["ModelPackageArn"].endswith("model-package/pending/1")


def test_a_function_with_a_resource_policy_is_read_with_the_callers_identity_policy(stack_in):
    # A function's permission (AddPermission) is a resource policy; reading the function evaluates it with the
    # caller's identity policy, as Terraform's refresh of an aws_lambda_function does.
    stack = stack_in("enforce")
    trust = policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role = client_for(stack, "iam").create_role(RoleName="fn", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    functions = client_for(stack, "lambda")
    arn = functions.create_function(FunctionName="alert", Runtime="python3.11", Role=role, Handler="a.handler",
                                    Code={"ZipFile": _zip({"a.py": "def handler(event, context):\n    return 1\n"})}
                                    )["FunctionArn"]
    functions.add_permission(FunctionName="alert", StatementId="events", Action="lambda:InvokeFunction",
                             Principal="events.amazonaws.com")
    bob = user_with_keys(stack, "bob", allow("lambda:GetFunction", arn))

    assert client_for(stack, "lambda", bob).get_function(FunctionName="alert")["Configuration"]["FunctionArn"] == arn
    error = error_of(lambda: client_for(stack, "lambda", bob).get_policy(FunctionName="alert"))
    assert error["Code"] == "AccessDeniedException"
    assert "lambda:GetPolicy" in error["Message"]


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
