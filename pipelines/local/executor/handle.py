"""A local execution behind the same handle as a SageMaker one (pipelines.execution.ExecutionHandle).

The execution runs in a thread as soon as it is started, like StartPipelineExecution returning at once;
`wait` relays every step status change, in order, and returns the final DescribePipelineExecution shape.
The thread is not a daemon: a command that starts without waiting still lets the execution finish.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from pipelines.local.executor.executor import LocalPipelineExecutor, PreparedExecution, StepChangeHook

logger = logging.getLogger(__name__)

_DONE = object()


class LocalExecution:
    def __init__(self, executor: LocalPipelineExecutor, prepared: PreparedExecution):
        self.executor, self.arn = executor, prepared.record.execution_arn
        self._changes: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        # The handle owns this executor: its step changes are queued for whoever waits.
        executor.on_step_change = lambda name, status, entry: self._changes.put((name, status, entry))
        self._thread = threading.Thread(target=self._run, args=(prepared,),
                                        name=f"execution-{prepared.record.execution_id}")
        self._thread.start()

    def _run(self, prepared: PreparedExecution) -> None:
        try:
            self.executor.execute(prepared)
        except Exception as error:  # handed to wait(), which raises it in the caller's thread
            logger.warning("execution %s stopped on an error: %s", self.arn, error)
            self._error = error
        finally:
            self._changes.put(_DONE)

    def describe(self) -> dict[str, Any]:
        return self.executor.describe_execution(self.arn)

    def wait(self, on_step_change: StepChangeHook | None = None) -> dict[str, Any]:
        while (change := self._changes.get()) is not _DONE:
            if on_step_change is not None:
                on_step_change(*change)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.describe()
