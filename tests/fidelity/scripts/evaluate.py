"""Evaluation as written for the sagemaker-xgboost 1.0-1 image: the model is a pickled Booster (joblib)."""

import json
import pathlib
import tarfile

import joblib
import numpy as np
import pandas as pd
import xgboost

if __name__ == "__main__":
    model_path = "/opt/ml/processing/model/model.tar.gz"
    with tarfile.open(model_path) as tar:
        tar.extractall(path=".")  # noqa: S202 - as the published script does
    model = joblib.load("xgboost-model")

    df = pd.read_csv("/opt/ml/processing/test/test.csv", header=None)
    y_test = df.iloc[:, 0].to_numpy()
    predictions = model.predict(xgboost.DMatrix(df.iloc[:, 1:].to_numpy()))
    mse = float(np.mean((y_test - predictions) ** 2))
    std = float(np.std(y_test - predictions))
    report_dict = {"regression_metrics": {"mse": {"value": mse, "standard_deviation": std}}}

    output_dir = "/opt/ml/processing/evaluation"
    pathlib.Path(output_dir).mkdir(parents=True, exist_ok=True)
    with open(f"{output_dir}/evaluation.json", "w") as f:
        f.write(json.dumps(report_dict))
