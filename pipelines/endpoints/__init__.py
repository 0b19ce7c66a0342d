"""SageMaker real-time endpoints: deploying registry versions (`deploy-endpoint`), refreshing multi-model endpoints
when the registry approves or rejects a version, and invoking them."""
