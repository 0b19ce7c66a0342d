"""Model artifacts as SageMaker's built-in algorithms write them."""

from __future__ import annotations

import xgboost as xgb

from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz


def xgboost_model_archive(booster: xgb.Booster, raw_format: str = "ubj") -> bytes:
    """The model.tar.gz of the built-in XGBoost algorithm: the booster saved as `xgboost-model`."""
    return deterministic_tar_gz({MODEL_FILE: bytes(booster.save_raw(raw_format=raw_format))})
