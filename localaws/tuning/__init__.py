"""Hyperparameter tuning jobs and the training jobs pipeline steps ran, answered in AWS's shapes."""
