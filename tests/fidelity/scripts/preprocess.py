"""Abalone-style preprocessing as the public SageMaker examples write it: every path hard-coded."""

import json
from glob import glob

import numpy as np
import pandas as pd

base_dir = "/opt/ml/processing"

if __name__ == "__main__":
    df = pd.concat([pd.read_csv(path, header=None) for path in sorted(glob(f"{base_dir}/input/*.csv"))])
    y = df.pop(0)
    X = df.to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    data = np.concatenate((y.to_numpy().reshape(len(y), 1), X), axis=1)
    np.random.default_rng(7).shuffle(data)
    train, validation, test = np.split(data, [int(0.7 * len(data)), int(0.85 * len(data))])
    pd.DataFrame(train).to_csv(f"{base_dir}/train/train.csv", header=False, index=False)
    pd.DataFrame(validation).to_csv(f"{base_dir}/validation/validation.csv", header=False, index=False)
    pd.DataFrame(test).to_csv(f"{base_dir}/test/test.csv", header=False, index=False)
    # The job's own configuration, where SageMaker Processing puts it.
    with open("/opt/ml/config/processingjobconfig.json") as stream:
        job = json.load(stream)["ProcessingJobName"]
    with open("/opt/ml/config/resourceconfig.json") as stream:
        host = json.load(stream)["current_host"]
    with open("job.txt", "w") as stream:  # relative to the container's working directory
        stream.write(job)
    with open(f"{base_dir}/test/origin.txt", "w") as stream:
        stream.write(f"{job} {host}")
