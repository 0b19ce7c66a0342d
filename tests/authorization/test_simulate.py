"""`iam simulate-principal-policy` and `simulate-custom-policy` on a real stack, answered by the enforcement engine."""

from __future__ import annotations

import json

import botocore.exceptions
import pytest

from .support import allow, client_for, policy, user_with_keys

ACCOUNT = "123456789012"
BUCKET = "arn:aws:s3:::data"


def _role(iam, name: str, *statements: dict) -> str:
    trust = policy({"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy(*statements))
    return arn


def _by_action(answer: dict) -> dict[str, dict]:
    return {result["EvalActionName"]: result for result in answer["EvaluationResults"]}


def test_a_role_simulation_allows_what_its_policy_grants_and_names_the_statement(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    role = _role(iam, "reader", allow("s3:GetObject", f"{BUCKET}/*"))

    results = _by_action(iam.simulate_principal_policy(
        PolicySourceArn=role, ActionNames=["s3:GetObject", "s3:PutObject"], ResourceArns=[f"{BUCKET}/a.csv"]))

    get, put = results["s3:GetObject"], results["s3:PutObject"]
    assert (get["EvalDecision"], get["EvalResourceName"]) == ("allowed", f"{BUCKET}/a.csv")
    assert get["MatchedStatements"] == [{"SourcePolicyId": "inline", "SourcePolicyType": "role"}]
    assert (put["EvalDecision"], put["MatchedStatements"]) == ("implicitDeny", [])
    assert [r["EvalResourceDecision"] for r in get["ResourceSpecificResults"]] == ["allowed"]


def test_an_explicit_deny_wins_and_is_the_only_matched_statement(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    role = _role(iam, "reader", allow("s3:GetObject", f"{BUCKET}/*"),
                 {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:GetObject", "Resource": f"{BUCKET}/secret/*"})

    result = iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject"],
                                           ResourceArns=[f"{BUCKET}/a.csv", f"{BUCKET}/secret/key"])
    (only,) = result["EvaluationResults"]

    assert only["EvalDecision"] == "explicitDeny"  # the most restrictive of the two resources
    assert only["MatchedStatements"] == [{"SourcePolicyId": "inline", "SourcePolicyType": "role"}]
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in only["ResourceSpecificResults"]] == [
        (f"{BUCKET}/a.csv", "allowed"), (f"{BUCKET}/secret/key", "explicitDeny")]


def test_a_permissions_boundary_limits_the_simulation_and_an_input_boundary_replaces_it(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    boundary = iam.create_policy(PolicyName="s3-only", PolicyDocument=policy(allow("s3:*")))["Policy"]["Arn"]
    user = _role(iam, "builder", allow(["s3:GetObject", "iam:CreateUser"]))
    iam.put_role_permissions_boundary(RoleName="builder", PermissionsBoundary=boundary)

    results = _by_action(iam.simulate_principal_policy(PolicySourceArn=user,
                                                       ActionNames=["s3:GetObject", "iam:CreateUser"]))

    assert results["s3:GetObject"]["EvalDecision"] == "allowed"
    assert results["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert results["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert results["iam:CreateUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    replaced = _by_action(iam.simulate_principal_policy(
        PolicySourceArn=user, ActionNames=["s3:GetObject", "iam:CreateUser"],
        PermissionsBoundaryPolicyInputList=[policy(allow("iam:*"))]))
    assert {a: r["EvalDecision"] for a, r in replaced.items()} == {"s3:GetObject": "implicitDeny",
                                                                   "iam:CreateUser": "allowed"}


def test_a_custom_policy_names_the_missing_context_keys_and_uses_the_given_ones(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    document = policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{BUCKET}/*",
                       "Condition": {"StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}})

    bare = iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["s3:PutObject"])["EvaluationResults"][0]
    given = iam.simulate_custom_policy(
        PolicyInputList=[document], ActionNames=["s3:PutObject"], ResourceArns=[f"{BUCKET}/a"],
        ContextEntries=[{"ContextKeyName": "s3:x-amz-server-side-encryption", "ContextKeyValues": ["aws:kms"],
                         "ContextKeyType": "string"}])["EvaluationResults"][0]

    assert (bare["EvalDecision"], bare["EvalResourceName"]) == ("implicitDeny", "*")
    assert bare["MissingContextValues"] == ["s3:x-amz-server-side-encryption"]
    assert (given["EvalDecision"], given["MissingContextValues"]) == ("allowed", [])
    assert given["MatchedStatements"] == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none"}]


def test_a_resource_policy_grants_the_caller_and_results_are_paged(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    caller = f"arn:aws:iam::{ACCOUNT}:user/alice"
    resource_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"}]})
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    kwargs = dict(PolicyInputList=[policy(allow("s3:ListBucket"))], ActionNames=actions,
                  ResourceArns=[f"{BUCKET}/a"], ResourcePolicy=resource_policy, CallerArn=caller)

    first = iam.simulate_custom_policy(MaxItems=2, **kwargs)
    pages = iam.get_paginator("simulate_custom_policy").paginate(PaginationConfig={"PageSize": 1}, **kwargs)

    assert (first["IsTruncated"], first["Marker"], len(first["EvaluationResults"])) == (True, "2", 2)
    results = [r for page in pages for r in page["EvaluationResults"]]
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        ("s3:GetObject", "allowed"), ("s3:PutObject", "implicitDeny"), ("s3:DeleteObject", "implicitDeny")]
    assert results[0]["MatchedStatements"] == [{"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"}]


def test_an_unknown_entity_and_a_resource_policy_without_caller_are_refused(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    with pytest.raises(botocore.exceptions.ClientError) as unknown:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/nobody", ActionNames=["s3:*"])
    assert unknown.value.response["Error"]["Code"] == "NoSuchEntity"
    role = _role(iam, "reader", allow("s3:GetObject"))
    with pytest.raises(botocore.exceptions.ClientError) as no_caller:
        iam.simulate_principal_policy(PolicySourceArn=role, ActionNames=["s3:GetObject"],
                                      ResourcePolicy=policy({"Effect": "Allow", "Principal": "*",
                                                             "Action": "s3:GetObject", "Resource": "*"}))
    assert no_caller.value.response["Error"]["Code"] == "InvalidInput"


def test_simulating_is_itself_authorized_on_the_entity_simulated(stack_in):
    stack = stack_in("enforce")
    iam = client_for(stack, "iam")
    reader, other = _role(iam, "reader", allow("s3:GetObject")), _role(iam, "other", allow("s3:GetObject"))
    auditor = client_for(stack, "iam", user_with_keys(stack, "auditor", allow("iam:SimulatePrincipalPolicy", reader),
                                                      allow("iam:SimulateCustomPolicy")))

    allowed = auditor.simulate_principal_policy(PolicySourceArn=reader, ActionNames=["s3:GetObject"])
    custom = auditor.simulate_custom_policy(PolicyInputList=[policy(allow("s3:GetObject"))],
                                            ActionNames=["s3:GetObject"])
    with pytest.raises(botocore.exceptions.ClientError) as denied:
        auditor.simulate_principal_policy(PolicySourceArn=other, ActionNames=["s3:GetObject"])

    assert allowed["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert custom["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/auditor is not authorized to perform: iam:SimulatePrincipalPolicy on "
        f"resource: {other} because no identity-based policy allows the iam:SimulatePrincipalPolicy action")


def test_a_user_simulation_includes_its_groups_policies_named_as_the_group_s(stack_in):
    iam = client_for(stack_in("enforce"), "iam")
    iam.create_user(UserName="carol")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="carol")
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=policy(allow("s3:GetObject")))
    iam.put_user_policy(UserName="carol", PolicyName="own", PolicyDocument=policy(allow("s3:ListBucket")))

    results = _by_action(iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/carol",
                                                       ActionNames=["s3:GetObject", "s3:ListBucket"]))

    assert results["s3:GetObject"]["MatchedStatements"] == [{"SourcePolicyId": "read", "SourcePolicyType": "group"}]
    assert results["s3:ListBucket"]["MatchedStatements"] == [{"SourcePolicyId": "own", "SourcePolicyType": "user"}]
