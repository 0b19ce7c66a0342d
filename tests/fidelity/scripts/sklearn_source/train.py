"""scikit-learn script mode as the SageMaker examples write it."""

import argparse
import os

import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int, default=10)
    parser.add_argument("--model-dir", type=str, default=os.environ["SM_MODEL_DIR"])
    parser.add_argument("--train", type=str, default=os.environ["SM_CHANNEL_TRAIN"])
    parser.add_argument("--test", type=str, default=os.environ["SM_CHANNEL_TEST"])
    args = parser.parse_args()

    train = pd.read_csv(os.path.join(args.train, "train.csv"), header=None)
    test = pd.read_csv(os.path.join(args.test, "test.csv"), header=None)
    model = RandomForestRegressor(n_estimators=args.n_estimators, random_state=0)
    model.fit(train.iloc[:, 1:], train.iloc[:, 0])
    mse = float(np.mean((model.predict(test.iloc[:, 1:]) - test.iloc[:, 0]) ** 2))
    print(f"test_mse={mse:.6f}")
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
