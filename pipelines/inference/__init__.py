"""The batch inference pipeline and the latest-approved-model Lambda function it calls."""

import pipelines.sdk_quiet  # noqa: F401  (before any sagemaker import below this package)
