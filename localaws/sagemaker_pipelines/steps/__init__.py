"""The step handlers, one class per pipeline step `Type`; the executor refuses any type not listed here.

A handler's module is imported when a step of its type first runs: training, transform and tuning bring
XGBoost (with scikit-learn and SciPy), pandas and optuna, about a second of CPU that a stack starting for
S3, IAM or Terraform calls alone would otherwise pay.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from localaws.sagemaker_pipelines.steps.base import StepHandler

_HANDLER_CLASSES = {  # step type: (module in this package, class)
    "Processing": ("processing", "ProcessingHandler"),
    "Training": ("training", "TrainingHandler"),
    "Tuning": ("tuning", "TuningHandler"),
    "Condition": ("control", "ConditionHandler"),
    "QualityCheck": ("quality_check", "QualityCheckHandler"),
    "RegisterModel": ("registry_steps", "RegisterModelHandler"),
    "Model": ("registry_steps", "ModelHandler"),
    "Lambda": ("lambda_step", "LambdaHandler"),
    "Transform": ("transform", "TransformHandler"),
    "Fail": ("control", "FailHandler"),
}


class StepHandlers(Mapping[str, type[StepHandler]]):
    """Step type -> handler class, each class imported when it is first looked up."""

    def __getitem__(self, step_type: str) -> type[StepHandler]:
        module, name = _HANDLER_CLASSES[step_type]
        return getattr(importlib.import_module(f"{__name__}.{module}"), name)

    def __contains__(self, step_type: object) -> bool:
        # Mapping's own would look the class up, importing its module: checking a definition imports nothing.
        return step_type in _HANDLER_CLASSES

    def __iter__(self) -> Iterator[str]:
        return iter(_HANDLER_CLASSES)

    def __len__(self) -> int:
        return len(_HANDLER_CLASSES)


STEP_HANDLERS: Mapping[str, type[StepHandler]] = StepHandlers()
