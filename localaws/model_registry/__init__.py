"""The SageMaker model registry calls moto lacks, and the central registry's cross-account access."""
