"""`mlops-local access-report`: per role, from the trail, the actions used, the granted actions left unused (read
through the stack's IAM API), the denials, the least policy."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.exceptions
import pytest

from localaws.tools.access_report import (
    add_grants,
    allowed_actions,
    expand,
    least_privilege_policy,
    lookup_events,
    render,
    render_json,
    report,
    summarize,
)

from .support import admin_in, allow, assumed, client_for, object_in, policy, user_with_keys

ROLE = "arn:aws:iam::222222222222:role/mammo-sagemaker-execution"
ACCOUNT = "123456789012"


def _event(event_id: str, checks: list[tuple[str, str]], decision: str = "Allow", message: str | None = None,
           administrator: bool = False) -> dict:
    event = {"eventID": event_id, "eventTime": f"2026-01-01T00:00:0{event_id}Z", "eventSource": "s3.amazonaws.com",
             "eventName": "GetObject",
             "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::222222222222:assumed-role/x/s",
                              "sessionContext": {"sessionIssuer": {"arn": ROLE}}},
             "additionalEventData": {"authorizationDecision": decision, "administrator": administrator,
                                     "checks": [{"action": a, "resource": r} for a, r in checks]}}
    if message:
        event.update(errorCode="AccessDenied", errorMessage=message)
    return event


def _trail(folder: Path, *events: dict) -> Path:
    folder.mkdir()
    # A cross-account call is in both accounts' files: counted once.
    for account in ("111111111111", "222222222222"):
        (folder / f"{account}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    return folder


def test_the_report_and_the_least_policy_come_from_the_role_calls(tmp_path):
    folder = _trail(tmp_path / "trail",
                    _event("1", [("s3:GetObject", "arn:aws:s3:::data/a"), ("kms:Decrypt", "arn:aws:kms:k")]),
                    _event("2", [("s3:GetObject", "arn:aws:s3:::data/b")]),
                    _event("3", [("s3:PutObject", "arn:aws:s3:::data/a")], "WouldDeny", "User: x is not ..."),
                    _event("4", [("iam:CreateUser", "*")], administrator=True))

    access = report(folder)

    assert list(access) == [ROLE]
    assert {a: sorted(r) for a, r in access[ROLE].used.items()} == {
        "s3:GetObject": ["arn:aws:s3:::data/a", "arn:aws:s3:::data/b"], "kms:Decrypt": ["arn:aws:kms:k"],
        "s3:PutObject": ["arn:aws:s3:::data/a"]}
    assert access[ROLE].denied == [{"event": "s3:GetObject", "decision": "WouldDeny", "message": "User: x is not ..."}]
    assert "WouldDeny s3:GetObject: User: x is not ..." in render(access)
    assert least_privilege_policy(folder, "mammo-sagemaker-execution") == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["arn:aws:kms:k"]},
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::data/a", "arn:aws:s3:::data/b"]},
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::data/a"]}]}


def test_on_a_stack_the_report_lists_granted_actions_a_role_never_used_and_its_denied_calls(stack_in):
    stack = stack_in("enforce")
    object_in(stack, "data", "rows.csv", b"a,b\n")
    iam = client_for(stack, "iam")
    alice_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    trust = policy({"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "sts:AssumeRole"})
    writer = iam.create_role(RoleName="writer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="writer", PolicyName="rw",
                        PolicyDocument=policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::data/*")))
    getter = iam.create_role(RoleName="getter", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    managed = iam.create_policy(PolicyName="get-all", PolicyDocument=policy(allow("s3:Get*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="getter", PolicyArn=managed)
    alice = user_with_keys(stack, "alice", allow("sts:AssumeRole", [writer, getter]))
    client_for(stack, "s3", assumed(stack, writer, alice)).get_object(Bucket="data", Key="rows.csv")
    getter_s3 = client_for(stack, "s3", assumed(stack, getter, alice))
    getter_s3.get_object(Bucket="data", Key="rows.csv")
    with pytest.raises(botocore.exceptions.ClientError):
        getter_s3.delete_object(Bucket="data", Key="rows.csv")

    access = summarize(lookup_events(client_for(stack, "cloudtrail")))
    add_grants(access, lambda account: client_for(stack, "iam", admin_in(stack, account)))

    assert (access[writer].granted, access[writer].unused) == ({"s3:GetObject", "s3:PutObject"}, ["s3:PutObject"])
    assert access[writer].denied == []
    getter_access = access[getter]
    assert {"s3:GetObject", "s3:GetObjectAcl", "s3:GetBucketPolicy"} <= getter_access.granted
    assert all(action.startswith("s3:Get") for action in getter_access.granted)
    assert "s3:GetObject" not in getter_access.unused
    assert "s3:GetBucketPolicy" in getter_access.unused
    assert [(d["event"], d["decision"]) for d in getter_access.denied] == [("s3:DeleteObject", "Deny")]
    assert "no identity-based policy allows the s3:DeleteObject action" in getter_access.denied[0]["message"]
    assert access[f"arn:aws:iam::{ACCOUNT}:user/alice"].granted is None  # a user: only roles are compared
    text = render(access)
    assert f"{writer}\n  used (1 actions): s3:GetObject\n  granted but unused (1 of 2 granted actions):\n" \
           "    s3 (1): PutObject\n  denied (0 calls, 0 distinct)" in text
    as_json = {entry["arn"]: entry for entry in json.loads(render_json(access))["principals"]}
    assert as_json[writer]["unused"] == ["s3:PutObject"]
    assert as_json[getter]["denied"][0]["event"] == "s3:DeleteObject"


def test_wildcards_expand_against_the_catalogue_and_an_unconditional_deny_takes_actions_away():
    granted, unexpanded = allowed_actions([
        policy(allow(["s3:getobj*", "sqs:SendMessage"]), allow("*"), {"Effect": "Allow", "NotAction": "iam:*",
                                                                       "Resource": "*"},
               {"Effect": "Deny", "Action": "s3:GetObjectAcl", "Resource": "*"},
               {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])

    assert "s3:GetObject" in granted
    assert "s3:GetObjectTagging" in granted
    assert "s3:GetObjectAcl" not in granted
    assert "sqs:SendMessage" in granted
    assert unexpanded == ("*", "NotAction iam:*")
    assert expand("nosuchservice:Get*") == ()
