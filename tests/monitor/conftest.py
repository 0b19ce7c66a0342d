"""The UCI data as the monitoring jobs see it: the four model features, no header, complete records only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.config import REPO_ROOT

UCI_FILE = REPO_ROOT / "data" / "mammographic_masses.data"
FEATURE_COLUMNS = ["_c0", "_c1", "_c2", "_c3"]  # Age, Shape, Margin, Density: batch-transform input order


@pytest.fixture(scope="session")
def uci_features() -> pd.DataFrame:
    raw = pd.read_csv(UCI_FILE, header=None, na_values="?",
                      names=["birads", "age", "shape", "margin", "density", "severity"])
    complete = raw.dropna().astype(int)
    features = complete[["age", "shape", "margin", "density"]].reset_index(drop=True)
    features.columns = FEATURE_COLUMNS
    return features


@pytest.fixture(scope="session")
def split(uci_features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(baseline rows, a clean held-out sample of 150 rows of the same data), seeded."""
    sample = uci_features.sample(n=150, random_state=7)
    return uci_features.drop(sample.index).reset_index(drop=True), sample.reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: Path, header: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, header=header, index=False)
    return path
