"""The step graph of a pipeline definition: every step (condition branches included) in a runnable order.

A step depends on the steps it references ({"Get": "Steps.X..."}), on those in its DependsOn list, and -
when it sits in a Condition step's IfSteps/ElseSteps - on that Condition step. Order is topological and,
among steps that are ready together, the order of the definition, so runs are deterministic. The executor
schedules the same graph with `graphlib.TopologicalSorter` (`sorter`), running the steps that are ready
together concurrently.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.pipeline_definition.errors import PipelineDefinitionError
from pipelines.pipeline_definition.expressions import step_references

BRANCH_KEYS = {"IfSteps": True, "ElseSteps": False}


@dataclass(frozen=True)
class Branch:
    """Where a step sits: in the IfSteps (outcome True) or ElseSteps (False) of a Condition step."""

    condition_step: str
    outcome: bool


@dataclass
class StepNode:
    name: str
    type: str
    definition: Mapping[str, Any]
    branch: Branch | None = None
    depends_on: list[str] = field(default_factory=list)


def build_graph(definition: Mapping[str, Any]) -> list[StepNode]:
    """All steps of `definition` in the order they run; PipelineDefinitionError for an invalid graph."""
    steps = definition.get("Steps")
    if not isinstance(steps, list) or not steps:
        raise PipelineDefinitionError("the pipeline definition has no 'Steps' list")
    nodes: dict[str, StepNode] = {}
    for step, branch in _flatten(steps, None):
        name, kind = step.get("Name"), step.get("Type")
        if not isinstance(name, str) or not name or not isinstance(kind, str):
            raise PipelineDefinitionError(f"every step needs a string 'Name' and 'Type', got {_brief(step)}")
        if name in nodes:
            raise PipelineDefinitionError(f"step name {name!r} is used by more than one step")
        nodes[name] = StepNode(name, kind, step, branch)

    for node in nodes.values():
        node.depends_on = _dependencies(node, nodes)
    return _topological_order(nodes)


def _flatten(steps: list, branch: Branch | None) -> Iterator[tuple[Mapping[str, Any], Branch | None]]:
    for step in steps:
        if not isinstance(step, Mapping):
            raise PipelineDefinitionError(f"a step must be an object, got {_brief(step)}")
        yield step, branch
        if step.get("Type") == "Condition":
            arguments = step.get("Arguments") or {}
            for key, outcome in BRANCH_KEYS.items():
                yield from _flatten(arguments.get(key) or [], Branch(step["Name"], outcome))


def _dependencies(node: StepNode, nodes: Mapping[str, StepNode]) -> list[str]:
    own = dict(node.definition)
    if node.type == "Condition":  # its branches are steps of their own, not references of the condition
        own["Arguments"] = {k: v for k, v in (own.get("Arguments") or {}).items() if k not in BRANCH_KEYS}
    depends_on = own.get("DependsOn") or []
    if not isinstance(depends_on, list):
        raise PipelineDefinitionError(f"step {node.name!r}: DependsOn must be a list of step names")
    wanted = [*depends_on, *step_references(own)]
    if node.branch:
        wanted.append(node.branch.condition_step)
    dependencies: list[str] = []
    for name in wanted:
        if name not in nodes:
            raise PipelineDefinitionError(
                f"step {node.name!r} refers to step {name!r}, which the definition does not have "
                f"(steps: {', '.join(nodes)})")
        if name == node.name:
            raise PipelineDefinitionError(f"step {node.name!r} refers to itself")
        if name not in dependencies:
            dependencies.append(name)
    return dependencies


def sorter(nodes: Sequence[StepNode]) -> graphlib.TopologicalSorter:
    """A prepared `graphlib.TopologicalSorter` of the steps; PipelineDefinitionError for a cycle."""
    graph = graphlib.TopologicalSorter({node.name: node.depends_on for node in nodes})
    try:
        graph.prepare()
    except graphlib.CycleError as error:
        position = {node.name: index for index, node in enumerate(nodes)}
        cycle = ", ".join(sorted(set(error.args[1]), key=position.__getitem__))
        raise PipelineDefinitionError(f"the steps {cycle} depend on each other in a cycle") from None
    return graph


def _topological_order(nodes: Mapping[str, StepNode]) -> list[StepNode]:
    position = {name: index for index, name in enumerate(nodes)}
    graph = sorter(list(nodes.values()))
    ordered: list[StepNode] = []
    while graph.is_active():
        ready = sorted(graph.get_ready(), key=position.__getitem__)
        ordered.extend(nodes[name] for name in ready)
        graph.done(*ready)
    return ordered


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
