"""A layered (Sugiyama-style) drawing of a pipeline's step graph, computed here and drawn as SVG by a template.

The graph is the platform's own (`pipelines.pipeline_definition.graph.build_graph`: references, DependsOn and
condition branches), so the console draws the edges the executor schedules. Layers are the longest path from a
first step (columns, left to right); inside a layer the steps are ordered by the barycentre of their neighbours,
a few sweeps each way, which removes the crossings of the small graphs pipelines are. Deterministic: ties keep
the definition's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.pipeline_definition.graph import StepNode, build_graph

NODE_WIDTH, NODE_HEIGHT = 168, 56
COLUMN_GAP, ROW_GAP, MARGIN = 56, 24, 12
SWEEPS = 4


@dataclass(frozen=True)
class PlacedNode:
    name: str
    type: str
    x: int
    y: int
    branch: str | None
    """'if Gate' / 'else Gate' for a step inside a condition's branch."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: str
    """The SVG path data of the curve from the source's right side to the target's left side."""


@dataclass(frozen=True)
class Layout:
    nodes: list[PlacedNode]
    edges: list[Edge]
    width: int
    height: int


def layout(definition: Mapping[str, Any]) -> Layout:
    return layout_nodes(build_graph(definition))


def layout_nodes(steps: Sequence[StepNode]) -> Layout:
    order = {step.name: index for index, step in enumerate(steps)}
    # steps come topologically ordered, so every dependency's layer is known before its dependants'.
    layer_of: dict[str, int] = {}
    for step in steps:
        layer_of[step.name] = 1 + max((layer_of[d] for d in step.depends_on), default=-1)
    layers: list[list[str]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for step in steps:
        layers[layer_of[step.name]].append(step.name)
    predecessors = {step.name: list(step.depends_on) for step in steps}
    successors: dict[str, list[str]] = {step.name: [] for step in steps}
    for step in steps:
        for dependency in step.depends_on:
            successors[dependency].append(step.name)

    for _ in range(SWEEPS):
        for index in range(1, len(layers)):
            layers[index] = _by_barycentre(layers[index], layers[index - 1], predecessors, order)
        for index in range(len(layers) - 2, -1, -1):
            layers[index] = _by_barycentre(layers[index], layers[index + 1], successors, order)

    tallest = max((len(layer) for layer in layers), default=0)
    height = 2 * MARGIN + tallest * NODE_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    position: dict[str, tuple[int, int]] = {}
    for column, layer in enumerate(layers):
        # each column centred vertically, so a single step sits level with the middle of a wide layer
        used = len(layer) * NODE_HEIGHT + (len(layer) - 1) * ROW_GAP
        top = MARGIN + (height - 2 * MARGIN - used) // 2
        for row, name in enumerate(layer):
            position[name] = (MARGIN + column * (NODE_WIDTH + COLUMN_GAP), top + row * (NODE_HEIGHT + ROW_GAP))
    nodes = [PlacedNode(step.name, step.type, *position[step.name], _branch_label(step)) for step in steps]
    edges = [Edge(dependency, step.name, _curve(position[dependency], position[step.name]))
             for step in steps for dependency in step.depends_on]
    width = 2 * MARGIN + len(layers) * NODE_WIDTH + max(len(layers) - 1, 0) * COLUMN_GAP
    return Layout(nodes, edges, width, height)


def _by_barycentre(layer: list[str], fixed: list[str], neighbours: Mapping[str, list[str]],
                   order: Mapping[str, int]) -> list[str]:
    rank = {name: index for index, name in enumerate(fixed)}

    def key(name: str) -> tuple[float, int]:
        linked = [rank[other] for other in neighbours[name] if other in rank]
        # a step with no neighbour in the fixed layer keeps its current place
        centre = sum(linked) / len(linked) if linked else layer.index(name)
        return centre, order[name]

    return sorted(layer, key=key)


def _curve(source: tuple[int, int], target: tuple[int, int]) -> str:
    x1, y1 = source[0] + NODE_WIDTH, source[1] + NODE_HEIGHT // 2
    x2, y2 = target[0], target[1] + NODE_HEIGHT // 2
    bend = (x2 - x1) // 2
    return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"


def _branch_label(step: StepNode) -> str | None:
    if step.branch is None:
        return None
    return f"{'if' if step.branch.outcome else 'else'} {step.branch.condition_step}"
