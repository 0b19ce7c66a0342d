"""Preprocess for the train pipeline (runs in the scikit-learn processing container).

Reads every CSV under --input-dir (header `Age,Shape,Margin,Density,Severity`, missing values empty; part 1
alone or part 1 + part 2), splits it stratified into train/validation/test, imputes missing features with the
train split's medians and writes:
- train/, validation/, test/: label first, no header (the built-in XGBoost algorithm's CSV convention);
- baseline/: the imputed features only, no header, in the column order of batch-transform input, so the
  data-quality baseline and the batch data-quality check name columns the same way.
Every path is an argument so the same script runs in a container and locally.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split

FEATURES = ["Age", "Shape", "Margin", "Density"]
LABEL = "Severity"
logger = logging.getLogger("preprocess")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input-dir", default="/opt/ml/processing/input/raw")
    p.add_argument("--train-dir", default="/opt/ml/processing/train")
    p.add_argument("--validation-dir", default="/opt/ml/processing/validation")
    p.add_argument("--test-dir", default="/opt/ml/processing/test")
    p.add_argument("--baseline-dir", default="/opt/ml/processing/baseline")
    p.add_argument("--validation-fraction", type=float, default=0.15)
    p.add_argument("--test-fraction", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args(argv)


def read_input(input_dir: Path) -> pd.DataFrame:
    files = sorted(input_dir.rglob("*.csv"))
    if not files:
        raise SystemExit(f"no .csv file under {input_dir}")
    frames = []
    for path in files:
        frame = pd.read_csv(path)
        missing = [c for c in [*FEATURES, LABEL] if c not in frame.columns]
        if missing:
            raise SystemExit(f"{path}: missing columns {missing}; expected header {','.join([*FEATURES, LABEL])}")
        if frame[LABEL].isna().any() or not frame[LABEL].isin([0, 1]).all():
            raise SystemExit(f"{path}: column {LABEL} must be 0 or 1 on every row")
        frames.append(frame[[*FEATURES, LABEL]])
        logger.info("read %d rows from %s", len(frame), path)
    return pd.concat(frames, ignore_index=True)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    data = read_input(Path(args.input_dir))
    held_out = args.validation_fraction + args.test_fraction
    train, rest = train_test_split(data, test_size=held_out, random_state=args.seed, stratify=data[LABEL])
    validation, test = train_test_split(rest, test_size=args.test_fraction / held_out, random_state=args.seed,
                                        stratify=rest[LABEL])
    imputer = SimpleImputer(strategy="median").fit(train[FEATURES])
    outputs = {"train": (train, args.train_dir), "validation": (validation, args.validation_dir),
               "test": (test, args.test_dir)}
    for name, (frame, directory) in outputs.items():
        features = imputer.transform(frame[FEATURES])
        table = np.column_stack([frame[LABEL].to_numpy(), features])
        _write(Path(directory) / f"{name}.csv", table)
        logger.info("%s: %d rows", name, len(frame))
    _write(Path(args.baseline_dir) / "baseline.csv", imputer.transform(train[FEATURES]))
    medians = {name: float(imputer.statistics_[i]) for i, name in enumerate(FEATURES)}
    logger.info("medians used for missing values: %s", medians)


def _write(path: Path, table: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Every value in this data set is an integer code or an age; keep them integers in the files.
    np.savetxt(path, table, delimiter=",", fmt="%g")


if __name__ == "__main__":
    main()
