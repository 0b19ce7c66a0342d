"""A layered (Sugiyama) drawing of a pipeline's step graph, laid out by grandalf and drawn as SVG by a template.

The graph is the platform's own (`pipelines.pipeline_definition.graph.build_graph`: references, DependsOn and
condition branches), so the console draws the edges the executor schedules. grandalf lays the layers top to
bottom, orders each layer to remove crossings and routes an edge that skips layers through the gaps; the drawing
turns that a quarter, so the steps run left to right. Each connected part of the graph is laid out alone and
the parts are stacked. Deterministic: the same definition gives the same drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from grandalf.graphs import Edge as GraphEdge
from grandalf.graphs import Graph, Vertex
from grandalf.layouts import SugiyamaLayout

from pipelines.pipeline_definition.graph import StepNode

NODE_WIDTH, NODE_HEIGHT = 168, 56
COLUMN_GAP, ROW_GAP, MARGIN = 56, 24, 12


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


def layout_nodes(steps: Sequence[StepNode]) -> Layout:
    vertices = {step.name: Vertex(step.name) for step in steps}
    for vertex in vertices.values():
        # grandalf's layers run down the page: a box's height there is its width here, and the other way round
        vertex.view = _Box(NODE_HEIGHT, NODE_WIDTH)
    links = []
    for step in steps:
        for dependency in step.depends_on:
            link = GraphEdge(vertices[dependency], vertices[step.name])
            link.view = _Route()
            links.append(link)
    graph = Graph(list(vertices.values()), links)
    position: dict[str, tuple[int, int]] = {}
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    top = MARGIN
    for part in graph.C:
        sugiyama = SugiyamaLayout(part)
        sugiyama.xspace, sugiyama.yspace = ROW_GAP, COLUMN_GAP
        sugiyama.init_all(roots=[v for v in part.sV if not v.e_in()])
        sugiyama.draw()
        # centres in grandalf's frame (x across a layer, y down the layers) -> top-left corners, left to right
        bends = [point for link in part.sE for point in link.view.points[1:-1]]
        across = [v.view.xy[0] for v in part.sV] + [x for x, _ in bends]
        down = [v.view.xy[1] for v in part.sV]
        shift_x, shift_y = min(down) - NODE_WIDTH / 2, min(across) - NODE_HEIGHT / 2
        for vertex in part.sV:
            x, y = vertex.view.xy
            position[vertex.data] = (round(MARGIN + y - shift_x - NODE_WIDTH / 2),
                                     round(top + x - shift_y - NODE_HEIGHT / 2))
        for link in part.sE:
            routes[(link.v[0].data, link.v[1].data)] = [
                (MARGIN + y - shift_x, top + x - shift_y) for x, y in link.view.points[1:-1]]
        top += round(max(across) - min(across)) + NODE_HEIGHT + ROW_GAP
    nodes = [PlacedNode(step.name, step.type, *position[step.name], _branch_label(step)) for step in steps]
    edges = [Edge(dependency, step.name, _curve(position[dependency], position[step.name],
                                                 routes.get((dependency, step.name), [])))
             for step in steps for dependency in step.depends_on]
    width = max((x + NODE_WIDTH for x, _ in position.values()), default=0) + MARGIN
    lowest_bend = max((y for route in routes.values() for _, y in route), default=0)
    height = round(max(max((y + NODE_HEIGHT for _, y in position.values()), default=0), lowest_bend)) + MARGIN
    return Layout(nodes, edges, width, height)


class _Box:
    """What grandalf reads and writes of a vertex: its size (w, h) and, once drawn, its centre (xy)."""

    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self.xy = (0.0, 0.0)


class _Route:
    """What grandalf writes of an edge: the points it passes, through the gaps of the layers it skips."""

    def __init__(self):
        self.points: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.points = list(points)


def _curve(source: tuple[int, int], target: tuple[int, int], via: Sequence[tuple[float, float]]) -> str:
    """From the source's right side to the target's left side through `via`, each leg a horizontal S-curve."""
    points = [(source[0] + NODE_WIDTH, source[1] + NODE_HEIGHT / 2), *via,
              (target[0], target[1] + NODE_HEIGHT / 2)]
    path = f"M{points[0][0]:g},{points[0][1]:g}"
    for (x1, y1), (x2, y2) in pairwise(points):
        bend = (x2 - x1) / 2
        path += f" C{x1 + bend:g},{y1:g} {x2 - bend:g},{y2:g} {x2:g},{y2:g}"
    return path


def _branch_label(step: StepNode) -> str | None:
    if step.branch is None:
        return None
    return f"{'if' if step.branch.outcome else 'else'} {step.branch.condition_step}"
