"""The local pipeline executor: runs SageMaker pipeline definitions against the local AWS stack."""

from pipelines.local.executor.executor import LocalPipelineExecutor, StatusChangeHook, resolve_parameters
from pipelines.local.executor.store import ExecutionRecord, ExecutionStore, StepRecord

__all__ = [
    "ExecutionRecord",
    "ExecutionStore",
    "LocalPipelineExecutor",
    "StatusChangeHook",
    "StepRecord",
    "resolve_parameters",
]
