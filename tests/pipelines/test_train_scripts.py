"""The train pipeline's scripts on the real data: preprocess -> real XGBoost -> evaluate, run as the local
executor runs them (paths given as arguments)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tarfile

import numpy as np
import pytest
import xgboost

from pipelines.config import REPO_ROOT
from pipelines.data.prepare import prepare
from pipelines.data.raw import read_raw
from pipelines.train.pipeline import EVALUATE_SCRIPT, HYPERPARAMETERS, PREPROCESS_SCRIPT


def load_script(path):
    """A container script is not a package module; load it from its file."""
    spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


evaluate = load_script(EVALUATE_SCRIPT)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    work = tmp_path_factory.mktemp("train")
    prepared = prepare(read_raw(REPO_ROOT / "data" / "mammographic_masses.data"), work / "data")
    (work / "input" / "part1").mkdir(parents=True)
    (work / "input" / "part1" / "part1.csv").write_bytes(
        prepared.files["mammo-train-dataset-part1.csv"].read_bytes())
    dirs = {name: work / name for name in ("train", "validation", "test", "baseline")}
    subprocess.run([sys.executable, str(PREPROCESS_SCRIPT), "--input-dir", str(work / "input"),
                    *[arg for name, path in dirs.items() for arg in (f"--{name}-dir", str(path))]], check=True)
    train = np.loadtxt(dirs["train"] / "train.csv", delimiter=",")
    params = {k: float(v) if k in ("eta", "subsample", "min_child_weight") else v
              for k, v in HYPERPARAMETERS.items() if k not in ("num_round", "early_stopping_rounds")}
    booster = xgboost.train(params, xgboost.DMatrix(train[:, 1:], label=train[:, 0]),
                            num_boost_round=int(HYPERPARAMETERS["num_round"]))
    booster.save_model(str(work / "xgboost-model.ubj"))
    (work / "xgboost-model.ubj").rename(work / "xgboost-model")
    (work / "model").mkdir()
    with tarfile.open(work / "model" / "model.tar.gz", "w:gz") as archive:
        archive.add(work / "xgboost-model", arcname="xgboost-model")
    subprocess.run([sys.executable, str(EVALUATE_SCRIPT), "--model-dir", str(work / "model"),
                    "--test-dir", str(dirs["test"]), "--output-dir", str(work / "evaluation")], check=True)
    return work, dirs


def test_preprocess_writes_label_first_headerless_splits_and_a_feature_baseline(trained):
    _, dirs = trained
    splits = {name: np.loadtxt(dirs[name] / f"{name}.csv", delimiter=",") for name in ("train", "validation", "test")}
    assert sum(len(s) for s in splits.values()) == 406  # every record of part 1
    for split in splits.values():
        assert split.shape[1] == 5
        assert set(np.unique(split[:, 0])) == {0.0, 1.0}
        assert not np.isnan(split).any()
    baseline = np.loadtxt(dirs["baseline"] / "baseline.csv", delimiter=",")
    assert baseline.shape == (len(splits["train"]), 4)
    np.testing.assert_array_equal(baseline, splits["train"][:, 1:])


def test_evaluation_report_has_the_metrics_the_pipeline_reads(trained):
    work, _ = trained
    report = json.loads((work / "evaluation" / "evaluation.json").read_text())["classification_metrics"]
    assert 0.75 < report["auc"]["value"] <= 1.0  # the real data clears the default threshold
    matrix = report["confusion_matrix"]
    total = sum(matrix[a][p] for a in "01" for p in "01")
    assert report["accuracy"]["value"] == pytest.approx((matrix["0"]["0"] + matrix["1"]["1"]) / total)
    assert report["recall"]["value"] == pytest.approx(matrix["1"]["1"] / (matrix["1"]["0"] + matrix["1"]["1"]))


def test_auc_matches_the_rank_definition_with_ties():
    labels = np.array([0, 0, 1, 1, 0, 1])
    scores = np.array([0.1, 0.4, 0.4, 0.8, 0.5, 0.3])
    # (positive, negative) pairs ranked correctly, a tie counting half: 0.4 -> 1.5, 0.8 -> 3, 0.3 -> 1; 5.5 of 9
    assert evaluate.roc_auc(labels, scores) == pytest.approx(5.5 / 9)


def test_the_outlier_batch_drifts_from_the_baseline_and_the_clean_batch_does_not(trained):
    # The project's local data-quality analyzer (the stand-in for AWS's) on the baseline preprocess wrote.
    from pipelines.monitoring.data_quality import CsvFormat, baseline, check, read_chunks

    work, dirs = trained
    headerless = CsvFormat(header=False)
    statistics, constraints = baseline(read_chunks([dirs["baseline"] / "baseline.csv"], headerless))
    clean = check(read_chunks([work / "data" / "mammo-batch-dataset.csv"], headerless), statistics, constraints)
    drifted = check(read_chunks([work / "data" / "mammo-batch-dataset-outliers.csv"], headerless),
                    statistics, constraints)
    assert clean == []
    assert {(v["feature_name"], v["constraint_check_type"]) for v in drifted} == {
        ("_c0", "baseline_drift_check"), ("_c1", "completeness_check"), ("_c3", "completeness_check")}
