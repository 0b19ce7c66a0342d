"""The demo report in a real browser at 1300 px: no table cell breaks a word (long ARNs and reasons wrap at
their separators), and a screenshot is saved as an artifact."""

from __future__ import annotations

import pytest
from demo.helpers import report_facts  # tests/ is on sys.path

from mlops_demo.facts import PipelineRun
from mlops_demo.report import render_report
from mlops_demo.scenario import Scenario, Step
from pipelines.config import load_config

pytestmark = pytest.mark.browser

CONFIG = load_config("prod")
ACCOUNTS = load_config("registry").accounts  # the registry file lists every account
EXECUTION = f"arn:aws:sagemaker:{CONFIG.aws_region}:{ACCOUNTS.prod}:pipeline/mammo-batch-inference/execution/"
PACKAGE = f"arn:aws:sagemaker:{CONFIG.aws_region}:{ACCOUNTS.registry}:model-package/mammo-severity/2"
REASON = ("ClientError: Quality check failed: the data-quality check job pipelines-7wbly120pakk-DriftCheck ended "
          "CompletedWithViolations: 1 violation(s): baseline_drift_check on _c0. See the violation report "
          f"s3://mammo-data-{ACCOUNTS.prod}/inference/7wbly120pakk/drift-check/constraint_violations.json")

# Words of a cell's text that wrap inside themselves: each run of letters and digits of a text node whose Range
# spans more than one line box. A break at a space or at a separator of a name or an ARN (- / : _ . , = & ?)
# is between two such runs, so it is allowed.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[^\\s\\-\\/:_.,=&?]+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


def _demo_like_report() -> str:
    facts = report_facts()
    facts.runs[:] = [PipelineRun(
        label=label, environment=environment, pipeline_name=pipeline, execution_arn=EXECUTION + run_id,
        status=status, failure_reason=reason, model_package_arn=PACKAGE if "inference" in pipeline else "",
        parameters={"BatchDataUri": f"s3://mammo-data-{ACCOUNTS.prod}/batch/outliers/",
                    "ModelPackageGroupArn": load_config("registry").model_package_group_arn, "Seed": "42"})
        for label, environment, pipeline, run_id, status, reason in (
            ("train-v1", "dev", "mammo-train", "a1b2c3d4e5f6", "Succeeded", ""),
            ("inference-outliers-prod", "prod", "mammo-batch-inference", "7wbly120pakk", "Failed", REASON))]
    steps = [Step(name, account, description, lambda ctx, result=result: result)
             for name, account, description, result in (
                 ("infrastructure", ACCOUNTS.registry, "terraform apply in every account",
                  "4 environments applied; 212 resources"),
                 ("train-v1", ACCOUNTS.dev, "the train pipeline in dev registers version 1",
                  f"version 1 registered as {PACKAGE[:-1]}1 (PendingManualApproval)"),
                 ("inference-outliers-prod", ACCOUNTS.prod, "batch inference on outliers fails on drift",
                  REASON))]
    return render_report(facts, Scenario(steps).run(None), {"registry": ACCOUNTS.registry, "dev": ACCOUNTS.dev,
                                                            "prod": ACCOUNTS.prod})


def test_the_report_at_1300_px_breaks_no_word_in_a_table_cell(page, artifacts):
    page.set_content(_demo_like_report())

    assert page.evaluate("document.documentElement.scrollWidth") <= 1300
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.locator("dl.kv dt", has_text="BatchDataUri").count() == 2  # parameters as a key/value list
    page.screenshot(path=str(artifacts / "demo-report.png"), full_page=True)


def test_the_word_check_sees_a_word_broken_inside_a_squeezed_cell(page):
    """The check can fail: the old report's `overflow-wrap: anywhere` let the table squeeze its short columns
    until their words broke."""
    page.set_content(_demo_like_report().replace("</style>", "th, td, .status { overflow-wrap: anywhere; "
                                                             "white-space: normal; }</style>"))
    assert "Succeeded" in page.evaluate(BROKEN_WORDS)
