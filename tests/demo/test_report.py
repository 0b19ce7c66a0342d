"""The demo report: sections, tables and figures rendered from recorded facts (no AWS needed)."""

import base64
import re

import pytest

from mlops_demo import plots
from mlops_demo.facts import (
    DemoFacts,
    RoleAccess,
)
from mlops_demo.report import plotted_features, render_report, write_report
from mlops_demo.scenario import Scenario, Step
from pipelines.config import load_config

from .helpers import BASELINE, BATCH, report_facts

ACCOUNTS = load_config("dev").accounts
GROUP_ARN = load_config("registry").model_package_group_arn

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _result():
    return Scenario([Step("train-v1", "dev", "trains", lambda ctx: "version 1")]).run(None)


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_has_every_section_with_both_versions_the_violations_and_the_figures():
    html = render_report(report_facts(), _result(), {"registry": ACCOUNTS.registry, "dev": ACCOUNTS.dev})

    for section in ("summary", "model-versions", "pipeline-runs", "drift-violations", "alert", "endpoints", "access"):
        assert f'id="{section}"' in html
    assert "0.8400" in html
    assert "0.8700" in html
    assert html.index("<th>auc</th>") < html.index("<th>accuracy</th>") < html.index("<th>custom</th>")
    assert "baseline_drift_check" in html
    assert "completeness_check" in html
    # The failure reason is escaped, not injected as markup.
    assert "&lt;check&gt;" in html
    assert "Subject: Pipeline failed" in html
    images = _images(html)
    assert len(images) == 2
    assert all(image.startswith(PNG_SIGNATURE) for image in images)


def test_the_endpoint_section_shows_versions_served_sample_predictions_and_the_capture_count():
    html = render_report(report_facts(), _result(), {})
    section = html[html.index('id="endpoints"'):]

    assert re.search(r"<td>endpoint-v2</td><td>mammo-severity-versions</td><td>multi-model</td><td>InService</td>\s*"
                     r"<td>1, 2</td>", section)
    assert "Age, Shape, Margin, Density" in section
    assert "<code>mammo-severity/v2.tar.gz</code>" in section
    for score in ("0.8123", "0.1235", "0.8568", "0.0988"):
        assert score in section
    assert "<code>67,3,5,3</code>" in section
    assert re.search(r"Data capture under <code>s3://prod-data/endpoint-capture</code> \(100% sampled\):\s*"
                     r"2 object\(s\) holding 2 record\(s\) for the demo's\s*2 invocation\(s\)", section)


def test_a_partial_run_still_renders_and_says_what_is_missing(tmp_path):
    path = write_report(tmp_path / "reports" / "demo-report.html", DemoFacts(), _result(), {})

    html = path.read_text()
    assert "No model version was registered." in html
    assert "No violations were recorded." in html
    assert "No alert was published." in html
    assert "No endpoint was deployed." in html
    assert "No access was recorded." in html
    assert _images(html) == []


def test_plotted_features_are_the_drifted_ones_each_once_else_every_feature_with_a_violation():
    again = {"feature_name": "Age", "constraint_check_type": "baseline_drift_check", "description": "again"}
    assert plotted_features([*report_facts().violations, again]) == ["Age"]
    completeness = [{"feature_name": name, "constraint_check_type": "completeness_check", "description": ""}
                    for name in ("Shape", "Density", "Shape")]
    assert plotted_features(completeness) == ["Shape", "Density"]


def test_drift_figure_refuses_a_feature_the_statistics_do_not_have():
    with pytest.raises(ValueError, match="'Margin' is not in the statistics"):
        plots.drift_figure(BASELINE, BATCH, ["Margin"])
    with pytest.raises(ValueError, match="'Note' has no numerical_statistics"):
        plots.drift_figure(BASELINE, BATCH, ["Note"])


def test_the_access_section_shows_per_role_used_and_unused_actions_and_no_denied_call():
    html = render_report(report_facts(), _result(), {})
    section = html[html.index('id="access"'):]

    assert "authorization <code>enforce</code>" in section
    assert re.search(r"approver</code></td><td class=\"num\">2</td>\s*<td class=\"num\">3</td>\s*"
                     r"<td class=\"num\">1</td>\s*<td class=\"num\">0</td>", section)
    assert "<code>sagemaker:UpdateModelPackage</code>" in section
    assert "Granted but unused: 1 of 3</summary>\n<p><code>sagemaker:DeleteModelPackage</code>" in section
    assert "Denied calls: 0." in section


def test_the_access_section_lists_each_denied_call_and_says_when_authorization_was_off():
    facts = report_facts()
    message = "User: arn:aws:sts::1:assumed-role/x/s is not authorized to perform: s3:GetObject on resource: <b>"
    facts.access = [RoleAccess(arn="arn:aws:iam::1:user/alice", used=("s3:GetObject",), granted=None, unused=(),
                               unexpanded=(), denied_calls=2, denied=(("s3:GetObject", "Deny", message),))]
    section = render_report(facts, _result(), {})
    section = section[section.index('id="access"'):]

    assert re.search(r"alice</code></td><td class=\"num\">1</td>\s*<td class=\"num\">-</td>\s*"
                     r"<td class=\"num\">-</td>\s*<td class=\"num\">2</td>", section)
    assert "<tr><td><code>s3:GetObject</code></td><td>Deny</td><td>User:" in section
    assert "&lt;b&gt;" in section  # escaped, not markup
    assert "<summary>Granted but unused" not in section  # a user: its grants are not compared
    off = DemoFacts(authorization="off")
    assert "The stack ran with authorization off" in render_report(off, _result(), {})
