"""Preprocessing of the v3 example pipeline (scripts/v3_example_pipeline.py): the CSV files under the input
(label first, no header) shuffled and split 70/15/15 into train, validation and test."""

from glob import glob

import numpy as np
import pandas as pd

BASE = "/opt/ml/processing"

if __name__ == "__main__":
    data = pd.concat([pd.read_csv(path, header=None) for path in sorted(glob(f"{BASE}/input/*.csv"))]).to_numpy()
    np.random.default_rng(7).shuffle(data)
    train, validation, test = np.split(data, [int(0.7 * len(data)), int(0.85 * len(data))])
    for name, rows in (("train", train), ("validation", validation), ("test", test)):
        pd.DataFrame(rows).to_csv(f"{BASE}/{name}/{name}.csv", header=False, index=False)
