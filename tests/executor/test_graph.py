"""The step graph: order from references, DependsOn and condition branches; invalid graphs refused."""

from __future__ import annotations

import pytest

from pipelines.pipeline_definition.errors import PipelineDefinitionError
from pipelines.pipeline_definition.graph import Branch, build_graph


def step(name, kind="Fail", depends_on=None, **arguments):
    definition = {"Name": name, "Type": kind, "Arguments": arguments}
    if depends_on:
        definition["DependsOn"] = depends_on
    return definition


def ref(name):
    return {"Get": f"Steps.{name}.Anything"}


def test_order_follows_references_and_depends_on_not_the_listing():
    definition = {"Steps": [
        step("Evaluate", Model=ref("Train")),
        step("Report", depends_on=["Evaluate"]),
        step("Train", Input=ref("Preprocess")),
        step("Preprocess"),
    ]}
    nodes = build_graph(definition)
    assert [node.name for node in nodes] == ["Preprocess", "Train", "Evaluate", "Report"]
    assert {node.name: node.depends_on for node in nodes}["Report"] == ["Evaluate"]


def test_independent_steps_keep_the_definition_order():
    nodes = build_graph({"Steps": [step("B"), step("A"), step("C", depends_on=["A"])]})
    assert [node.name for node in nodes] == ["B", "A", "C"]


def test_condition_branches_are_steps_that_depend_on_the_condition():
    condition = {"Name": "Check", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "Equals", "LeftValue": ref("Evaluate"), "RightValue": 1}],
        "IfSteps": [step("Register", Model=ref("Evaluate"))],
        "ElseSteps": [step("Stop")],
    }}
    nodes = {node.name: node for node in build_graph({"Steps": [condition, step("Evaluate")]})}
    assert nodes["Check"].depends_on == ["Evaluate"]  # its branches are not its dependencies
    assert nodes["Register"].branch == Branch("Check", True)
    assert nodes["Register"].depends_on == ["Evaluate", "Check"]
    assert nodes["Stop"].branch == Branch("Check", False)
    assert nodes["Stop"].depends_on == ["Check"]


@pytest.mark.parametrize(("steps", "message"), [
    ([step("A", X=ref("Ghost"))], r"step 'A' refers to step 'Ghost', which the definition does not have"),
    ([step("A", depends_on=["Ghost"])], "refers to step 'Ghost'"),
    ([step("A", X=ref("B")), step("B", depends_on=["A"])], "the steps A, B depend on each other in a cycle"),
    ([step("A", X=ref("A"))], "step 'A' refers to itself"),
    ([step("A"), step("A")], "step name 'A' is used by more than one step"),
    ([{"Type": "Fail"}], "every step needs a string 'Name' and 'Type'"),
    ([], "has no 'Steps' list"),
])
def test_invalid_graphs_are_refused(steps, message):
    with pytest.raises(PipelineDefinitionError, match=message):
        build_graph({"Steps": steps})
