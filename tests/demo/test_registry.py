"""Reading evaluation.json: scalar metrics and the confusion matrix in either shape the project may write."""

from pipelines.demo.registry import evaluation_metrics


def test_scalar_metrics_and_a_list_of_rows_confusion_matrix():
    metrics, matrix = evaluation_metrics({"classification_metrics": {
        "auc": {"value": 0.86, "standard_deviation": "NaN"},
        "accuracy": {"value": 0.8},
        "confusion_matrix": [[40, 8], [9, 43]],
    }})
    assert metrics == {"auc": 0.86, "accuracy": 0.8}
    assert matrix == [[40, 8], [9, 43]]


def test_model_quality_style_confusion_matrix_is_read_actual_by_predicted():
    _, matrix = evaluation_metrics({"classification_metrics": {
        "confusion_matrix": {"0": {"0": 40, "1": 8}, "1": {"0": 9, "1": 43}},
    }})
    assert matrix == [[40, 8], [9, 43]]


def test_no_confusion_matrix_gives_none():
    assert evaluation_metrics({"classification_metrics": {"auc": {"value": 0.9}}}) == ({"auc": 0.9}, None)
