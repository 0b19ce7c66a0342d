"""The train pipeline: preprocess, XGBoost, evaluate, and register in the central model registry."""
