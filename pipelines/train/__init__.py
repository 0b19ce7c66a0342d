"""The train pipeline: preprocess, XGBoost, evaluate, and register in the central model registry."""

import pipelines.sdk_quiet  # noqa: F401  (before any sagemaker import below this package)
