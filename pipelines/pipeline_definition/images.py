"""The container images a definition names, by family: the families the local executor emulates, and which
of them each job type runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipelines.pipeline_definition.errors import PipelineDefinitionError

SKLEARN, XGBOOST, MODEL_MONITOR = "scikit-learn", "xgboost", "model-monitor-analyzer"
# ECR repository name -> family. The account and tag vary by region and version; the repository does not.
_REPOSITORIES = {
    "sagemaker-scikit-learn": SKLEARN,
    "sagemaker-xgboost": XGBOOST,
    "sagemaker-model-monitor-analyzer": MODEL_MONITOR,
}
SCRIPT_FAMILIES = (SKLEARN, XGBOOST)
PROCESSING_FAMILIES = (*SCRIPT_FAMILIES, MODEL_MONITOR)
TRAINING_FAMILIES = (XGBOOST, SKLEARN)


def image_family(image_uri: str) -> str | None:
    """'683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1' -> 'xgboost'; None if unknown."""
    if not isinstance(image_uri, str):
        return None
    repository = image_uri.split("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return _REPOSITORIES.get(repository)


def check_literal_image(image_uri, allowed: Sequence[str], step_name: str, what: str) -> None:
    """Before anything runs: an image written into the definition must be one the executor emulates.

    An image given by an expression (a Lambda output, a parameter) is checked when the step runs.
    """
    if isinstance(image_uri, str) and image_family(image_uri) not in allowed:
        raise PipelineDefinitionError(
            f"step {step_name!r}: the local executor cannot run image {image_uri!r} for {what}: "
            f"it emulates the {', '.join(allowed)} image families")


def is_script_mode(hyperparameters: Mapping[str, str]) -> bool:
    """A framework image runs the user's entry point (script mode) when the estimator names one."""
    return "sagemaker_program" in hyperparameters
