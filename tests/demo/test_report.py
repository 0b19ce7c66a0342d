"""The demo report: sections, tables and figures rendered from recorded facts (no AWS needed)."""

import base64
import re

import pytest

from mlops_demo import plots
from mlops_demo.facts import (
    CaptureCount,
    DemoFacts,
    EndpointInvocation,
    EndpointServing,
    ModelVersion,
    Notification,
    PipelineRun,
)
from mlops_demo.report import plotted_features, render_report, write_report
from mlops_demo.scenario import Scenario, Step
from pipelines.config import load_config

ACCOUNTS = load_config("dev").accounts
GROUP_ARN = load_config("registry").model_package_group_arn

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _statistics(age_buckets):
    """A statistics.json document in the published format, with one numerical and one string feature."""
    return {
        "version": 0.0,
        "dataset": {"item_count": sum(count for _, _, count in age_buckets)},
        "features": [
            {"name": "Age", "inferred_type": "Integral",
             "numerical_statistics": {"common": {"num_present": 10, "num_missing": 0}, "mean": 50.0,
                                      "distribution": {"kll": {"buckets": [
                                          {"lower_bound": lo, "upper_bound": hi, "count": count}
                                          for lo, hi, count in age_buckets]}}}},
            {"name": "Note", "inferred_type": "String", "string_statistics": {"common": {"num_present": 1}}},
        ],
    }


BASELINE = _statistics([(20, 40, 30), (40, 60, 50), (60, 80, 20)])
BATCH = _statistics([(-80, 0, 10), (0, 400, 20), (400, 800, 10)])


def _facts() -> DemoFacts:
    facts = DemoFacts(endpoint="http://127.0.0.1:5000")
    for number, auc in ((1, 0.84), (2, 0.87)):
        facts.versions.append(ModelVersion(
            version=number, arn=f"{GROUP_ARN.replace('-group/', '/')}/{number}",
            approval_status="Approved", trained_in="dev" if number == 1 else "prod", execution_arn="arn:exec",
            input_data_uri="s3://data/train/", metrics={"auc": auc, "accuracy": 0.8, "custom": 1.0},
            confusion_matrix=[[40, 8], [9, 43]]))
    facts.runs.append(PipelineRun(label="inference-outliers", environment="prod", pipeline_name="mammo-batch-inference",
                                  execution_arn="arn:aws:sagemaker:...:execution/x", status="Failed",
                                  failure_reason="ClientError: CompletedWithViolations <check>",
                                  parameters={"BatchDataUri": "s3://data/batch/outliers/"}))
    facts.violations = [
        {"feature_name": "Age", "constraint_check_type": "baseline_drift_check", "description": "distance 0.7 > 0.1"},
        {"feature_name": "Shape", "constraint_check_type": "completeness_check", "description": "0.9 < 1.0"},
    ]
    facts.baseline_statistics, facts.batch_statistics = BASELINE, BATCH
    facts.notifications.append(Notification(f"arn:aws:sns:us-east-1:{ACCOUNTS.prod}:alerts", "Pipeline failed",
                                            "mammo-batch-inference failed"))
    facts.serving += [
        EndpointServing("endpoint-v1", "mammo-severity", "single-model", "InService", "mammo-severity-v1-0a1b", (1,)),
        EndpointServing("endpoint-v2", "mammo-severity-versions", "multi-model", "InService", "mammo-mm-9f8e", (1, 2)),
    ]
    rows = ("67,3,5,3", "43,1,1,3")
    facts.invocations += [
        EndpointInvocation("endpoint-v1", "mammo-severity", 1, None, rows, (0.81234, 0.12345)),
        EndpointInvocation("endpoint-v2", "mammo-severity-versions", 2, "mammo-severity/v2.tar.gz", rows,
                           (0.85678, 0.09876)),
    ]
    facts.capture = CaptureCount("s3://prod-data/endpoint-capture", 100, 2, 2, 2)
    return facts


def _result():
    return Scenario([Step("train-v1", "dev", "trains", lambda ctx: "version 1")]).run(None)


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_has_every_section_with_both_versions_the_violations_and_the_figures():
    html = render_report(_facts(), _result(), {"registry": ACCOUNTS.registry, "dev": ACCOUNTS.dev})

    for section in ("summary", "model-versions", "pipeline-runs", "drift-violations", "alert", "endpoints"):
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
    html = render_report(_facts(), _result(), {})
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
    assert _images(html) == []


def test_plotted_features_are_the_drifted_ones_each_once_else_every_feature_with_a_violation():
    again = {"feature_name": "Age", "constraint_check_type": "baseline_drift_check", "description": "again"}
    assert plotted_features([*_facts().violations, again]) == ["Age"]
    completeness = [{"feature_name": name, "constraint_check_type": "completeness_check", "description": ""}
                    for name in ("Shape", "Density", "Shape")]
    assert plotted_features(completeness) == ["Shape", "Density"]


def test_drift_figure_refuses_a_feature_the_statistics_do_not_have():
    with pytest.raises(ValueError, match="'Margin' is not in the statistics"):
        plots.drift_figure(BASELINE, BATCH, ["Margin"])
    with pytest.raises(ValueError, match="'Note' has no numerical_statistics"):
        plots.drift_figure(BASELINE, BATCH, ["Note"])
