"""The static checks of each step type the local executor runs, keyed by the definition's step `Type`: what
can be refused before anything runs, from the step's definition alone. Values given by expressions (a
parameter, a Lambda output) are checked when the step runs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from pipelines.pipeline_definition.errors import PipelineDefinitionError, UnsupportedSetting
from pipelines.pipeline_definition.graph import StepNode
from pipelines.pipeline_definition.images import (
    PROCESSING_FAMILIES,
    SKLEARN,
    TRAINING_FAMILIES,
    check_literal_image,
    image_family,
    is_script_mode,
)
from pipelines.pipeline_definition.transform_settings import check_transform_settings, literal_settings

TUNING_STRATEGIES = ("Bayesian", "Random")


def check_processing(node: StepNode) -> None:
    image = ((node.definition.get("Arguments") or {}).get("AppSpecification") or {}).get("ImageUri")
    check_literal_image(image, PROCESSING_FAMILIES, node.name, "a processing job")


def check_training(node: StepNode) -> None:
    arguments = node.definition.get("Arguments") or {}
    algorithm = arguments.get("AlgorithmSpecification") or {}
    image = algorithm.get("TrainingImage")
    check_literal_image(image, TRAINING_FAMILIES, node.name, "a training job")
    hyperparameters = arguments.get("HyperParameters") or {}
    if algorithm.get("ContainerEntrypoint"):
        raise PipelineDefinitionError(
            f"step {node.name!r}: AlgorithmSpecification.ContainerEntrypoint is not emulated for training (SDK "
            "v3's ModelTrainer sets it to run its sm_train.sh driver when given source_code): use the built-in "
            "XGBoost algorithm (a ModelTrainer without source_code) or an SDK v2 framework estimator's "
            "entry_point (script mode)")
    if (isinstance(image, str) and image_family(image) == SKLEARN
            and isinstance(hyperparameters, dict) and not is_script_mode(hyperparameters)):
        raise PipelineDefinitionError(
            f"step {node.name!r}: the scikit-learn image trains in script mode only: give the estimator an "
            "entry_point (the sagemaker_program hyperparameter)")


def check_tuning(node: StepNode) -> None:
    arguments = node.definition.get("Arguments") or {}
    if arguments.get("TrainingJobDefinitions"):
        raise PipelineDefinitionError(f"step {node.name!r}: tuning several training job definitions is not "
                                      "emulated: give the tuner one estimator")
    config = arguments.get("HyperParameterTuningJobConfig") or {}
    strategy = config.get("Strategy", "Bayesian")
    if isinstance(strategy, str) and strategy not in TUNING_STRATEGIES:
        raise PipelineDefinitionError(f"step {node.name!r}: tuning strategy {strategy!r} is not emulated: use "
                                      f"{' or '.join(TUNING_STRATEGIES)}")
    if config.get("TrainingJobEarlyStoppingType", "Off") == "Auto":
        raise PipelineDefinitionError(f"step {node.name!r}: early stopping of a tuning job's training jobs is not "
                                      "emulated: set early_stopping_type Off")
    definition = arguments.get("TrainingJobDefinition") or {}
    image = (definition.get("AlgorithmSpecification") or {}).get("TrainingImage")
    check_literal_image(image, TRAINING_FAMILIES, node.name, "a tuning job's training jobs")
    for kind in (config.get("ParameterRanges") or {}).values():
        for entry in kind if isinstance(kind, list) else []:
            if entry.get("ScalingType") == "ReverseLogarithmic":
                raise PipelineDefinitionError(f"step {node.name!r}: ReverseLogarithmic scaling of "
                                              f"{entry.get('Name')!r} is not emulated: use Auto, Linear or "
                                              "Logarithmic")


def check_transform(node: StepNode) -> None:
    """The transform settings written into the definition (not given by expressions)."""
    try:
        check_transform_settings(literal_settings(node.definition.get("Arguments") or {}))
    except UnsupportedSetting as problem:
        raise PipelineDefinitionError(f"step {node.name!r}: {problem}") from None


def check_condition(node: StepNode) -> None:
    if not isinstance((node.definition.get("Arguments") or {}).get("Conditions"), list):
        raise PipelineDefinitionError(f"Condition step {node.name!r} has no 'Conditions' list")


def check_quality_check(node: StepNode) -> None:
    if node.definition.get("CheckType") != "DATA_QUALITY":
        raise PipelineDefinitionError(
            f"QualityCheck step {node.name!r} has CheckType {node.definition.get('CheckType')!r}: "
            "the local executor emulates DATA_QUALITY checks only")


def check_lambda(node: StepNode) -> None:
    if not node.definition.get("FunctionArn"):
        raise PipelineDefinitionError(f"Lambda step {node.name!r} has no FunctionArn")


def nothing_to_check(node: StepNode) -> None:
    """Model and RegisterModel steps (their arguments are the API request, answered when the step runs) and
    Fail steps have nothing to refuse before a run."""


STEP_CHECKS: dict[str, Callable[[StepNode], None]] = {
    "Processing": check_processing,
    "Training": check_training,
    "Tuning": check_tuning,
    "Condition": check_condition,
    "QualityCheck": check_quality_check,
    "RegisterModel": nothing_to_check,
    "Model": nothing_to_check,
    "Lambda": check_lambda,
    "Transform": check_transform,
    "Fail": nothing_to_check,
}
"""Every step type the local executor runs, and its check."""


def unsupported_steps(nodes: Sequence[StepNode], supported: Collection[str]) -> str:
    """The steps whose type is not `supported`, as "'Name' (Type), ..."; empty when every type is."""
    return ", ".join(f"{node.name!r} ({node.type})" for node in nodes if node.type not in supported)


def check_step(node: StepNode) -> None:
    """The static checks of the step's type (none for a type without any); PipelineDefinitionError."""
    STEP_CHECKS.get(node.type, nothing_to_check)(node)
