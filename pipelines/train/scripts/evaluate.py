"""Evaluate the trained model on the test split (runs in the built-in XGBoost image's processing container).

Reads model.tar.gz (holding `xgboost-model`, saved with Booster.save_model) from --model-dir and the test
split (label first, no header) from --test-dir; writes --output-dir/evaluation.json in the model-quality
report shape SageMaker's model registry displays: classification_metrics.{auc,accuracy,precision,recall}
.value and the confusion matrix. Metrics use numpy only, which every XGBoost image has.
"""

from __future__ import annotations

import argparse
import json
import logging
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import xgboost

MODEL_FILE = "xgboost-model"
logger = logging.getLogger("evaluate")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir", default="/opt/ml/processing/model")
    p.add_argument("--test-dir", default="/opt/ml/processing/test")
    p.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    p.add_argument("--threshold", type=float, default=0.5, help="probability above which a mass is malignant")
    return p.parse_args(argv)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney statistic, with tied scores given their average rank."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    if n_pos == 0 or n_neg == 0:
        raise SystemExit("the test split needs both classes to compute an AUC")
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict:
    predicted = (scores > threshold).astype(int)
    tp = int(((predicted == 1) & (labels == 1)).sum())
    tn = int(((predicted == 0) & (labels == 0)).sum())
    fp = int(((predicted == 1) & (labels == 0)).sum())
    fn = int(((predicted == 0) & (labels == 1)).sum())
    return {
        "classification_metrics": {
            "auc": {"value": roc_auc(labels, scores)},
            "accuracy": {"value": (tp + tn) / len(labels)},
            "precision": {"value": tp / (tp + fp) if tp + fp else 0.0},
            "recall": {"value": tp / (tp + fn) if tp + fn else 0.0},
            # rows: actual class 0, 1; columns: predicted class 0, 1
            "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}},
        },
        "test_records": len(labels),
    }


def load_booster(model_dir: Path) -> xgboost.Booster:
    # Read the one member by name rather than extracting the archive: no path in it is ever trusted.
    with tarfile.open(model_dir / "model.tar.gz") as archive:
        model_bytes = archive.extractfile(MODEL_FILE).read()
    with tempfile.TemporaryDirectory() as scratch:
        model_path = Path(scratch) / MODEL_FILE
        model_path.write_bytes(model_bytes)
        booster = xgboost.Booster()
        booster.load_model(str(model_path))
    return booster


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    test = np.loadtxt(Path(args.test_dir) / "test.csv", delimiter=",", ndmin=2)
    labels, features = test[:, 0].astype(int), test[:, 1:]
    scores = load_booster(Path(args.model_dir)).predict(xgboost.DMatrix(features))
    report = metrics(labels, scores, args.threshold)
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    (output / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    logger.info("AUC %.4f on %d test records", report["classification_metrics"]["auc"]["value"], len(labels))


if __name__ == "__main__":
    main()
