"""The local pipeline executor: runs SageMaker pipeline definitions inside the local AWS stack.

The stack's server runs it behind the SageMaker API (service.py); clients start and read executions through
that API only.
"""

from localaws.sagemaker_pipelines.executor import (
    LocalPipelineExecutor,
    PreparedExecution,
    StatusChangeHook,
    StepChangeHook,
)
from localaws.sagemaker_pipelines.store import ExecutionRecord, ExecutionStore, StepRecord

__all__ = [
    "ExecutionRecord",
    "ExecutionStore",
    "LocalPipelineExecutor",
    "PreparedExecution",
    "StatusChangeHook",
    "StepChangeHook",
    "StepRecord",
]
