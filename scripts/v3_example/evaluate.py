"""Evaluation of the v3 example pipeline (scripts/v3_example_pipeline.py): the AUC of the trained built-in
XGBoost model (1.7-1 saves it in XGBoost's own format) on the test split, written to evaluation.json."""

import json
import pathlib
import tarfile

import pandas as pd
import xgboost
from sklearn.metrics import roc_auc_score

if __name__ == "__main__":
    booster = xgboost.Booster()
    with tarfile.open("/opt/ml/processing/model/model.tar.gz") as archive:
        booster.load_model(bytearray(archive.extractfile("xgboost-model").read()))

    test = pd.read_csv("/opt/ml/processing/test/test.csv", header=None)
    predictions = booster.predict(xgboost.DMatrix(test.iloc[:, 1:].to_numpy()))
    auc = float(roc_auc_score(test.iloc[:, 0].to_numpy(), predictions))

    output = pathlib.Path("/opt/ml/processing/evaluation")
    output.mkdir(parents=True, exist_ok=True)
    (output / "evaluation.json").write_text(json.dumps({"binary_classification_metrics": {"auc": {"value": auc}}}))
