"""`mlops-local access-report`: per role, from the trail files, the actions used, the denials, the least policy."""

from __future__ import annotations

import json
from pathlib import Path

from localaws.tools.access_report import least_privilege_policy, render, report

ROLE = "arn:aws:iam::222222222222:role/mammo-sagemaker-execution"


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
