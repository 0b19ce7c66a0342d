"""Soft mode records every would-be denial in the trail and lets the call run; off mode decides nothing."""

from __future__ import annotations

from .support import client_for, object_in, trail_events, user_with_keys

ACCOUNT = "123456789012"


def test_soft_mode_records_a_would_be_denial_and_allows_the_call(stack_in):
    stack = stack_in("soft")
    object_in(stack, "soft", "k", b"v")
    frank = user_with_keys(stack, "frank")

    assert client_for(stack, "s3", frank).get_object(Bucket="soft", Key="k")["Body"].read() == b"v"

    events = trail_events(stack, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "frank"}])
    assert [(e["eventName"], e["errorCode"], e["additionalEventData"]["authorizationDecision"]) for e in events] == [
        ("GetObject", "AccessDenied", "WouldDeny")]
    assert events[0]["errorMessage"] == (f"User: arn:aws:iam::{ACCOUNT}:user/frank is not authorized to perform: "
                                         "s3:GetObject on resource: arn:aws:s3:::soft/k because no identity-based "
                                         "policy allows the s3:GetObject action")


def test_off_mode_checks_no_signature_and_records_nothing(stack_in):
    stack = stack_in("off")
    wrong = {"aws_access_key_id": "testing", "aws_secret_access_key": "not-the-secret"}
    assert client_for(stack, "sts", wrong).get_caller_identity()["Account"] == ACCOUNT
    assert trail_events(stack) == []
