"""Multi-account MLOps platform for Amazon SageMaker: pipelines, configuration and the local AWS stack."""
