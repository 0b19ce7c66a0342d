"""Infrastructure commands: the terraform runner behind `mlops-infra`."""
