"""Reading evaluation.json: scalar metrics and the confusion matrix in either shape the project may write,
always handed out as rows of actual by predicted."""

import pytest

from pipelines.model_registry import PackageMetrics, evaluation_metrics


def test_scalar_metrics_and_a_list_of_rows_confusion_matrix():
    assert evaluation_metrics({"classification_metrics": {
        "auc": {"value": 0.86, "standard_deviation": "NaN"},
        "accuracy": {"value": 0.8},
        "confusion_matrix": [[40, 8], [9, 43]],
    }}) == PackageMetrics({"auc": 0.86, "accuracy": 0.8}, [[40, 8], [9, 43]])


def test_model_quality_style_confusion_matrix_is_read_actual_by_predicted():
    evaluation = evaluation_metrics({"classification_metrics": {
        "confusion_matrix": {"0": {"0": 40, "1": 8}, "1": {"0": 9, "1": 43}},
    }})
    assert evaluation.confusion_matrix == [[40, 8], [9, 43]]


def test_no_confusion_matrix_gives_none():
    assert evaluation_metrics({"classification_metrics": {"auc": {"value": 0.9}}}) == \
        PackageMetrics({"auc": 0.9}, None)


@pytest.mark.parametrize("document", [{}, [], {"classification_metrics": [1]}])
def test_a_document_without_classification_metrics_is_refused(document):
    with pytest.raises(ValueError, match="classification_metrics"):
        evaluation_metrics(document)
