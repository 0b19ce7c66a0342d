"""The batch inference pipeline and the latest-approved-model Lambda function it calls."""
