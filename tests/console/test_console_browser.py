"""The console in a real browser (Debian's chromium): the failed drift check found and drawn, a running
execution followed live, a version approved as the approver role, and 0 axe-core A/AA violations."""

from __future__ import annotations

import urllib.parse

import pytest
from local_stack.pipeline_api import client
from playwright.sync_api import expect
from support import wait_for_end

from pipelines.aws import stack_health

from .conftest import INVOCATIONS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def console(stack, path: str = "") -> str:
    return f"{stack.endpoint}/_mlops/console{path}"


def test_the_failed_drift_check_is_found_and_its_graph_names_the_failed_step_and_the_drifted_feature(
        console_stack, prepared, page, artifacts):
    page.goto(console(console_stack))
    failed = page.locator("table", has_text="drift-check").locator("tr", has_text="Failed").get_by_role("link")
    failed.first.click()

    check = page.locator('#live a.node[data-step="DriftCheck"]')
    assert check.get_attribute("data-status") == "Failed"
    assert page.locator('#live a.node[data-step="Baseline"]').get_attribute("data-status") == "Succeeded"
    assert page.locator("#execution-status").inner_text() == "Failed"
    assert page.locator("strong.drifted").all_inner_texts() == ["_c1 (Shape)"]
    # the drifted feature's distributions, baseline against batch, drawn without script and given as a table
    histogram = page.locator('figure.histogram[data-feature="_c1 (Shape)"]')
    assert histogram.get_by_role("img").get_attribute("aria-labelledby")
    assert histogram.locator("rect.bar-baseline").count() > 0
    assert histogram.locator("rect.bar-batch").count() > 0
    histogram.get_by_text("The numbers of _c1 (Shape)").click()
    assert histogram.locator("table tr").count() == 21  # the header and 20 bins
    reason = page.locator('#steps tr[data-step="DriftCheck"]').inner_text()
    assert "baseline_drift_check on _c1" in reason
    # the violation report is one of the step's outputs, linked to the object listing of its folder
    page.locator('#steps tr[data-step="DriftCheck"] a', has_text="constraint_violations.json").first.click()
    assert "constraint_violations.json" in page.locator("main").inner_text()
    page.go_back()
    page.locator("figure.graph").screenshot(path=str(artifacts / "console-execution-graph.png"))
    page.screenshot(path=str(artifacts / "console-execution.png"), full_page=True)


def test_a_new_execution_s_steps_change_status_on_the_open_page_without_reloading(console_stack, prepared, page):
    sagemaker = client(console_stack.endpoint)
    arn = sagemaker.start_pipeline_execution(PipelineName="slow")["PipelineExecutionArn"]
    place = "account=123456789012&region=us-east-1"
    page.goto(console(console_stack, f"/execution?{place}&arn={urllib.parse.quote(arn, safe='')}"))
    page.evaluate("window.notReloaded = true")
    publish = '#live a.node[data-step="Publish"]'
    first_seen = page.locator(publish).get_attribute("data-status")

    page.wait_for_selector(f'{publish}[data-status="Succeeded"]', timeout=120_000)

    assert first_seen != "Succeeded"
    assert page.evaluate("window.notReloaded") is True
    # The execution ends a moment after its last step: the next refresh shows it.
    expect(page.locator("#execution-status")).to_have_text("Succeeded", timeout=30_000)
    assert wait_for_end(sagemaker, arn)["PipelineExecutionStatus"] == "Succeeded"


def test_approving_a_pending_version_as_the_approver_role_changes_its_status(console_stack, prepared, page,
                                                                            artifacts):
    page.goto(console(console_stack, "/registry"))
    row = page.locator('#versions tr[data-version="1"]')
    assert row.locator(".approval").inner_text() == "PendingManualApproval"
    assert "auc" in row.inner_text()
    assert "0.8400" in row.inner_text()

    row.get_by_role("button", name="Approve version 1").click()

    assert "is now Approved" in page.get_by_role("status").inner_text()
    assert page.locator('#versions tr[data-version="1"] .approval').inner_text() == "Approved"
    assert page.locator('#versions tr[data-version="2"] .approval').inner_text() == "PendingManualApproval"
    page.screenshot(path=str(artifacts / "console-registry.png"), full_page=True)


def test_a_version_registered_by_a_pipeline_links_to_the_execution_that_made_it(console_stack, prepared, page):
    page.goto(console(console_stack, "/registry"))
    made_by = page.locator('#versions tr[data-version="2"]').get_by_role("link", name="register-version")
    assert "Succeeded" in page.locator('#versions tr[data-version="2"]').inner_text()
    assert "no pipeline execution recorded" in page.locator('#versions tr[data-version="1"]').inner_text()

    made_by.click()

    assert page.locator("main").get_by_text(prepared["register_execution"]).count() == 1
    assert page.locator('#live a.node[data-step="Register"]').get_attribute("data-status") == "Succeeded"


def test_an_endpoint_shows_its_deployed_version_recent_invocations_capture_and_alarm(console_stack, prepared, page,
                                                                                   artifacts):
    page.goto(console(console_stack, "/endpoints"))
    row = page.locator("tr", has_text="severity-v1")
    assert "AllTraffic: weight 1" in row.inner_text()
    assert prepared["version_1"] in row.inner_text().replace("\n", "")
    assert row.locator('.recent [data-variant="AllTraffic"] strong').inner_text() == str(INVOCATIONS)
    assert "severity-5xx" in row.inner_text()
    page.screenshot(path=str(artifacts / "console-endpoints.png"), full_page=True)

    row.get_by_role("link", name="captured requests of AllTraffic").click()
    for _ in range(4):  # the capture's yyyy/mm/dd/hh/ folders, down to the records
        page.locator("main table a").first.click()
    assert page.locator("main").inner_text().count(".jsonl") == INVOCATIONS


def test_each_recent_delivery_shows_the_event_matched_the_rule_the_target_and_the_result(console_stack, prepared,
                                                                                         page, artifacts):
    page.goto(console(console_stack, "/events"))
    rows = page.locator('table.deliveries tr[data-rule="pipeline-status"]')
    assert rows.count() >= 2  # at least the drift check's start and failure
    first = rows.last.inner_text()
    assert "SageMaker Model Building Pipeline Execution Status Change" in first
    assert "aws.sagemaker" in first
    assert "alerts" in first
    assert "pipeline-alerts" in first.replace("\n", "")
    assert "Succeeded" in first
    body = rows.last.locator("details.event")
    assert not body.locator("pre").is_visible()
    body.get_by_text("event body").click()
    assert '"currentPipelineExecutionStatus"' in body.locator("pre").inner_text()
    assert page.get_by_role("heading", name="Messages sent to").count() >= 1
    page.screenshot(path=str(artifacts / "console-events.png"), full_page=True)


def _enforces_iam(endpoint: str) -> bool:
    authorization = (stack_health(endpoint) or {}).get("authorization")
    if isinstance(authorization, dict):
        return bool(authorization.get("enforced") or authorization.get("enforce"))
    return authorization not in (None, False, "off", "disabled", "")


def test_reviewing_as_another_role_shows_the_denial(console_stack, prepared, page):
    if not _enforces_iam(console_stack.endpoint):
        pytest.skip("the stack does not enforce IAM yet (its /_mlops/health answer has no enabled "
                    "'authorization'): every principal may call UpdateModelPackage")
    page.goto(console(console_stack, "/registry"))
    row = page.locator('#versions tr[data-version="2"]')
    row.get_by_label("act as role").fill(f"arn:aws:iam::{prepared['version_2'].split(':')[4]}:role/mlops-local-admin")
    row.get_by_role("button", name="Reject version 2").click()

    alert = page.get_by_role("alert").inner_text()
    assert "AccessDenied" in alert
    assert "UpdateModelPackage" in alert
    assert page.locator('#versions tr[data-version="2"] .approval').inner_text() == "PendingManualApproval"


@pytest.mark.parametrize("path", ["", "/execution", "/registry", "/endpoints", "/events"])
def test_the_main_pages_have_no_wcag_a_or_aa_violation(console_stack, prepared, page, path):
    if path == "/execution":
        path += f"?account=123456789012&region=us-east-1&arn={urllib.parse.quote(prepared['failed_execution'])}"
    page.goto(console(console_stack, path))
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []


def test_the_graph_and_the_navigation_are_reachable_by_keyboard(console_stack, prepared, page):
    page.goto(console(console_stack, f"/execution?account=123456789012&region=us-east-1"
                                     f"&arn={urllib.parse.quote(prepared['failed_execution'])}"))
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.getAttribute('data-step') || "
                                     "document.activeElement.textContent.trim()"))
    assert "Model registry" in focused
    assert "DriftCheck" in focused
    while page.evaluate("document.activeElement.getAttribute('data-step')") != "DriftCheck":
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # a step of the graph opens its row of the steps table
    assert page.evaluate("location.hash") == "#" + page.locator('#steps tr[data-step="DriftCheck"]').get_attribute("id")
