"""Writes the demo report: one self-contained HTML file (figures embedded) a person can open from disk.

It is written from the facts the steps recorded, after a complete run and after a failed one alike, so a
failure still leaves a report showing how far the loop got.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import jinja2

from localaws import rendering
from mlops_demo import plots
from mlops_demo.facts import DemoFacts
from mlops_demo.scenario import ScenarioResult
from pipelines.config import FEATURES

LOG = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Metrics shown first in the versions table, in this order; any other metric of evaluation.json follows.
PREFERRED_METRICS = ("auc", "accuracy", "precision", "recall", "f1")
DRIFT_CHECK = "baseline_drift_check"
POSITIONAL_COLUMN = re.compile(r"_c(\d+)")


def feature_name(feature: str) -> str:
    """The batch file's column name of `_c<i>` (how the monitor names a header-less CSV's columns)."""
    match = POSITIONAL_COLUMN.fullmatch(feature)
    if match and int(match.group(1)) < len(FEATURES):
        return FEATURES[int(match.group(1))]
    return feature


def feature_label(feature: str) -> str:
    """`_c<i>` with the batch file's column name added."""
    name = feature_name(feature)
    return f"{feature} ({name})" if name != feature else feature


def plotted_features(violations: list[dict[str, str]]) -> list[str]:
    """The features to plot: those with a baseline drift violation, else every feature a violation names."""
    drifted = [v["feature_name"] for v in violations if v.get("constraint_check_type") == DRIFT_CHECK]
    chosen = drifted or [v["feature_name"] for v in violations if v.get("feature_name")]
    return list(dict.fromkeys(chosen))


def metric_names(names) -> list[str]:
    """Metric names in report order: the usual classification metrics first, any other after them."""
    present = set(names)
    return [name for name in PREFERRED_METRICS if name in present] + sorted(present - set(PREFERRED_METRICS))


def _figures(facts: DemoFacts) -> dict[str, str]:
    figures: dict[str, str] = {}
    if any(version.confusion_matrix for version in facts.versions):
        figures["confusion"] = base64.b64encode(plots.confusion_figure(facts.versions)).decode()
    features = plotted_features(facts.violations)
    if features and facts.baseline_statistics and facts.batch_statistics:
        drift = plots.drift_figure(facts.baseline_statistics, facts.batch_statistics, features, feature_label)
        figures["drift"] = base64.b64encode(drift).decode()
    return figures


def render_report(facts: DemoFacts, result: ScenarioResult, accounts: Mapping[str, str]) -> str:
    # the console's stylesheet and components: an ARN, a status or a parameter list look the same in both
    environment = rendering.environment(TEMPLATES, undefined=jinja2.StrictUndefined)
    metrics = metric_names(name for version in facts.versions for name in version.metrics)
    return environment.get_template("report.html.j2").render(
        facts=facts, outcomes=result.outcomes, accounts=dict(accounts), metric_names=metrics, figures=_figures(facts),
        feature_label=feature_label, features=FEATURES,
    )


def write_report(path: Path, facts: DemoFacts, result: ScenarioResult, accounts: Mapping[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(facts, result, accounts), encoding="utf-8")
    LOG.info("report written to %s", path)
    return path
