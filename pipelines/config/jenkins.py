"""`jenkins`: the deployment role a workload account gives Jenkins, and who (if anyone) must approve its applies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.config.accounts import REGISTRY, Accounts
from pipelines.config.fields import IAM_HINT, IAM_NAME, PRINCIPAL_ARN, PRINCIPAL_HINT, Fields

EXTERNAL_ID = re.compile(r"[a-zA-Z0-9+=,.@:/_-]{2,1224}", re.ASCII)
# Jenkins' input `submitter`: user ids or group names separated by commas, none empty.
SUBMITTERS = re.compile(r"[^,\s]([^,]*[^,\s])?(\s*,\s*[^,\s]([^,]*[^,\s])?)*", re.ASCII)
LOG_GROUP_NAME = re.compile(r"[\w/.#-]{1,512}", re.ASCII)
# The retentions CloudWatch Logs' PutRetentionPolicy accepts, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653)


@dataclass(frozen=True)
class Jenkins:
    role_name: str
    log_group_name: str
    log_retention_days: int
    principal_arn: str
    """The tooling account's IAM role or user Jenkins runs as: the only principal the deployment role trusts."""
    apply_submitter: str | None
    """Jenkins users or groups (comma-separated) one of whom must approve an apply or a model served in this
    environment (the Jenkinsfile's input submitter); None: no person approves (the promotion's early stages)."""
    external_id: str | None = None
    """The sts:ExternalId Jenkins presents when it assumes the deployment role, if any."""


def parse_jenkins(top: Fields, accounts: Accounts, environment: str) -> Jenkins | None:
    """`jenkins` of the file's top level `top` (null: no deployment role)."""
    fields = top.child("jenkins", optional=True)
    if fields is None:
        return None
    if environment == REGISTRY:
        raise top.fail("jenkins", f"must be null for the {environment} account: its role deploys a workload "
                                  "account's workload")
    if "apply_submitter" not in fields.data:  # null is a choice (no approval), a missing key is not
        raise fields.fail("apply_submitter", "is missing: set it to null (no person approves this environment's "
                                             "applies) or to the Jenkins users or groups who may")
    jenkins = Jenkins(
        role_name=fields.get("role_name", str, IAM_NAME, IAM_HINT),
        log_group_name=fields.get("log_group_name", str, LOG_GROUP_NAME, "log group names use [A-Za-z0-9_/.#-]"),
        log_retention_days=fields.positive("log_retention_days"),
        principal_arn=fields.get("principal_arn", str, PRINCIPAL_ARN, PRINCIPAL_HINT),
        external_id=fields.get("external_id", str, EXTERNAL_ID, "use null or 2-1224 of [A-Za-z0-9+=,.@:/_-]",
                               optional=True),
        apply_submitter=fields.get("apply_submitter", str, SUBMITTERS,
                                   "use null (no approval) or name the Jenkins users or groups who may approve an "
                                   "apply, separated by commas (e.g. mlops-prod-approvers,alice), with no empty "
                                   "name", optional=True),
    )
    if jenkins.log_retention_days not in LOG_RETENTION_DAYS:
        raise fields.fail("log_retention_days", f"has invalid value {jenkins.log_retention_days}: use a retention "
                                                "CloudWatch Logs accepts: "
                                                f"{', '.join(map(str, LOG_RETENTION_DAYS))}")
    if PRINCIPAL_ARN.fullmatch(jenkins.principal_arn).group(1) != accounts.tooling:
        raise fields.fail("principal_arn", f"has invalid value {jenkins.principal_arn!r}: Jenkins runs in the "
                                           f"tooling account (accounts.tooling, {accounts.tooling}); use a role or "
                                           "user there")
    return jenkins
