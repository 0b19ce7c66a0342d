"""The access report: per role, what it did in a run and what it was denied, read from the stack's trail files.

The trail (`<state dir>/trail/<account>.jsonl`, one CloudTrail record per decision) says for every call who made
it (userIdentity: a role's sessions are reported under the role), the IAM actions and resources the call needed
(additionalEventData.checks) and the decision (Allow, Deny, or soft mode's WouldDeny). From it:
- `report(folder)`: per principal, the actions used and every denied (or would-be denied) call with AWS's message;
- `least_privilege_policy(folder, role)`: the smallest identity policy that allows every call the role made or
  tried (exact actions and resource ARNs, actions with the same resources grouped), what IAM Access Analyzer's
  policy generation gives in AWS.
The bootstrap administrator's calls are left out: it is not a role the Terraform defines.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DENIED = ("Deny", "WouldDeny")


@dataclass
class PrincipalAccess:
    """What one principal (a role, or a user) did in the run."""

    arn: str
    used: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # action -> resources
    denied: list[dict[str, str]] = field(default_factory=list)  # {"event", "decision", "message"}


def read_events(folder: Path) -> list[dict[str, Any]]:
    """Every record of the trail folder once (a cross-account call is in both accounts' files), oldest first."""
    seen: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                event = json.loads(line)
                seen.setdefault(event["eventID"], event)
    return sorted(seen.values(), key=lambda e: e["eventTime"])


def _principal_arn(identity: dict[str, Any]) -> str:
    issuer = identity.get("sessionContext", {}).get("sessionIssuer", {})
    return issuer.get("arn") or identity.get("arn") or identity.get("accountId", "anonymous")


def report(folder: Path) -> dict[str, PrincipalAccess]:
    """Per principal ARN (sorted), its use and its denials."""
    access: dict[str, PrincipalAccess] = {}
    for event in read_events(folder):
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


def render(access: dict[str, PrincipalAccess]) -> str:
    """The report as text: per principal, the actions used and the denied calls."""
    lines = []
    for arn, entry in access.items():
        lines.append(arn)
        lines.append(f"  used ({len(entry.used)} actions): {', '.join(sorted(entry.used))}")
        unique = {(d["event"], d["decision"], d["message"]) for d in entry.denied}
        lines.append(f"  denied ({len(entry.denied)} calls, {len(unique)} distinct)" + (":" if unique else ""))
        lines += [f"    {decision} {name}: {message}" for name, decision, message in sorted(unique)]
    return "\n".join(lines)
