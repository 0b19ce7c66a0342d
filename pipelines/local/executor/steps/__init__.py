"""The step handlers, one class per pipeline step `Type`; the executor refuses any type not listed here."""

from __future__ import annotations

from pipelines.local.executor.steps.base import StepHandler
from pipelines.local.executor.steps.control import ConditionHandler, FailHandler
from pipelines.local.executor.steps.lambda_step import LambdaHandler
from pipelines.local.executor.steps.processing import ProcessingHandler
from pipelines.local.executor.steps.quality_check import QualityCheckHandler
from pipelines.local.executor.steps.registry_steps import ModelHandler, RegisterModelHandler
from pipelines.local.executor.steps.training import TrainingHandler
from pipelines.local.executor.steps.transform import TransformHandler
from pipelines.local.executor.steps.tuning import TuningHandler

STEP_HANDLERS: dict[str, type[StepHandler]] = {
    handler.step_type: handler
    for handler in (
        ProcessingHandler,
        TrainingHandler,
        TuningHandler,
        ConditionHandler,
        QualityCheckHandler,
        RegisterModelHandler,
        ModelHandler,
        LambdaHandler,
        TransformHandler,
        FailHandler,
    )
}
