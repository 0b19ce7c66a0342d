"""Steps that only decide: Condition (which branch runs) and Fail (end the execution with a message)."""

from __future__ import annotations

from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult
from pipelines.pipeline_definition.expressions import evaluate_condition


class ConditionHandler(StepHandler):
    """All conditions must hold for the IfSteps to run; otherwise the ElseSteps run."""

    step_type = "Condition"

    def run(self, context: StepContext) -> StepResult:
        conditions = context.node.definition["Arguments"]["Conditions"]
        outcome = all(evaluate_condition(condition, context.scope) for condition in conditions)
        text = "True" if outcome else "False"
        return StepResult(properties={"Outcome": text}, metadata={"Condition": {"Outcome": text}}, outcome=outcome)


class FailHandler(StepHandler):
    """Fails the execution with the step's ErrorMessage (an expression is allowed)."""

    step_type = "Fail"

    def run(self, context: StepContext) -> StepResult:
        message = context.resolve((context.node.definition.get("Arguments") or {}).get("ErrorMessage", ""))
        raise StepFailed(str(message), metadata={"Fail": {"ErrorMessage": str(message)}})
