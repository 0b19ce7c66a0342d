"""checkov on the accounts' rendered plans: the policies and settings as the tfvars build them (module inputs
resolved, the applied resources' ARNs known), which a scan of the HCL cannot see.

The accounts are planned side by side, then scanned by ONE checkov run (most of a run is checkov loading its
checks and the source tree, whatever the number of plans). Skips stay next to their resource: checkov reads
them from the source tree (--repo-root-for-plan-enrichment). Each account gets its own report,
`<env>.checkov.json` beside its plan JSON, in checkov's JSON shape, written before a failure is raised so the
failed checks can be read there.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import InfraError, UsageError
from pipelines.infra.static_checks import checkov_binary
from pipelines.infra.terraform import RenderedPlan, TerraformRunner

RESULT_KINDS = ("passed_checks", "failed_checks", "skipped_checks")
OUTPUT_TAIL_LINES = 40


@dataclass(frozen=True)
class PlanScan:
    """One account's plan and what checkov found in it."""

    plan: RenderedPlan
    report: Path
    passed: int
    skipped: int
    failed: tuple[str, ...]
    """"<check id> <resource address>" of each failed check."""


def scan_plans(runners: Sequence[TerraformRunner]) -> list[PlanScan]:
    """Plan every runner's account side by side into its work dir's `plans/` (each plan mostly waits on its
    provider's reads), then scan the plans with one checkov run; InfraError naming each account's failed checks.
    The scans come back in the runners' order."""
    with ThreadPoolExecutor(max_workers=max(1, len(runners))) as pool:
        plans = list(pool.map(lambda runner: runner.render_plan(runner.work_dir / "plans"), runners))
    return scan_rendered_plans(plans)


def scan_bootstrapped_plans(runners: Sequence[TerraformRunner]) -> tuple[list[PlanScan], list[TerraformRunner]]:
    """scan_plans() of the runners whose account is bootstrapped (an environment file may describe an account not
    built yet); those scans and the runners left out. UsageError when no account is bootstrapped."""
    bootstrapped = [runner for runner in runners if runner.is_bootstrapped()]
    if not bootstrapped:
        raise UsageError("check --plans: no account is bootstrapped: run mlops-infra bootstrap --env ENV first")
    return scan_plans(bootstrapped), [runner for runner in runners if runner not in bootstrapped]


def scan_rendered_plans(plans: Sequence[RenderedPlan]) -> list[PlanScan]:
    """One checkov run over the rendered plans (planned from one root); a report per plan; InfraError if any failed."""
    roots = {plan.root for plan in plans}
    if len(roots) != 1:
        raise InfraError(f"the plans to scan come from {len(roots)} roots; scan the plans of one root at a time")
    command = [checkov_binary(), *(argument for plan in plans for argument in ("-f", str(plan.plan_json))),
               "--framework", "terraform_plan", "--repo-root-for-plan-enrichment", str(roots.pop()),
               "--skip-download", "--output", "json"]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ), check=False)
    findings = _findings(result)
    scans = [_write_report(plan, findings) for plan in plans]
    failed = [f"{scan.plan.environment}: {', '.join(scan.failed)}" for scan in scans if scan.failed]
    if failed:
        raise InfraError("checkov failed the rendered plan of " + "; ".join(failed)
                         + " (each account's report is beside its plan: <env>.checkov.json)")
    return scans


def _findings(result: subprocess.CompletedProcess) -> dict[str, list[dict]]:
    """checkov's results by kind; exit 1 only means failed checks, anything else is checkov itself failing."""
    try:
        report = json.loads(result.stdout) if result.returncode in (0, 1) else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-OUTPUT_TAIL_LINES:])
        raise InfraError(f"checkov could not scan the rendered plans (exit {result.returncode}):\n{tail}")
    reports = report if isinstance(report, list) else [report]  # a list when several frameworks ran
    return {kind: [check for part in reports for check in part.get("results", {}).get(kind, [])]
            for kind in RESULT_KINDS}


def _write_report(plan: RenderedPlan, findings: dict[str, list[dict]]) -> PlanScan:
    results = {kind: [check for check in checks if Path(check["file_abs_path"]).resolve() == plan.plan_json]
               for kind, checks in findings.items()}
    report = plan.plan_json.with_name(f"{plan.environment}.checkov.json")
    summary = {kind.removesuffix("_checks"): len(checks) for kind, checks in results.items()}
    report.write_text(json.dumps({"check_type": "terraform_plan", "results": results, "summary": summary},
                                 indent=2) + "\n")
    return PlanScan(plan, report, passed=summary["passed"], skipped=summary["skipped"],
                    failed=tuple(f"{check['check_id']} {check['resource']}" for check in results["failed_checks"]))
