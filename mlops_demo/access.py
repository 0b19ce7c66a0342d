"""The access report of the demo's run, for its report: per role, the actions used, the granted ones left unused
and the denied calls, read as any client reads them (each account's CloudTrail LookupEvents and IAM)."""

from __future__ import annotations

from localaws.tools import access_report
from mlops_demo.context import DemoContext
from mlops_demo.facts import RoleAccess
from pipelines.aws import DEFAULT_REGION, stack_health


def record_access(context: DemoContext) -> None:
    """Fill in `facts.authorization` and `facts.access` from the demo's stack (nothing when it never started)."""
    target = context.target
    if target is None:
        return
    health = stack_health(target.endpoint) or {}
    context.facts.authorization = str(health.get("authorization", ""))
    sessions = {}
    for environment, config in context.configs.items():
        sessions.setdefault(config.account_id, context.session(environment))

    def iam_for_account(account: str):
        if account not in sessions:
            sessions[account] = target.session(account, DEFAULT_REGION)
        return sessions[account].client("iam")

    events = [event for session in list(sessions.values())
              for event in access_report.lookup_events(session.client("cloudtrail"))]
    access = access_report.summarize(events)
    access_report.add_grants(access, iam_for_account)
    context.facts.access = [
        RoleAccess(arn=entry.arn, used=tuple(sorted(entry.used)),
                   granted=None if entry.granted is None else len(entry.granted), unused=tuple(entry.unused),
                   unexpanded=entry.unexpanded, denied_calls=len(entry.denied),
                   denied=tuple(entry.distinct_denials))
        for entry in access.values()]
