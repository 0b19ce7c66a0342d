"""The step graph's layout (grandalf's Sugiyama): steps left to right by dependency, no two boxes overlapping,
an edge skipping a layer routed through the gap, and the same drawing every time."""

from __future__ import annotations

import json

from local_stack.pipeline_api import definition, processing_step  # tests/ is on sys.path

from localaws.console.graph import NODE_HEIGHT, NODE_WIDTH, layout_nodes
from pipelines.pipeline_definition.graph import build_graph

STEPS = build_graph(json.loads(definition(
    processing_step("Prepare"), processing_step("Train", depends_on=["Prepare"]),
    processing_step("Evaluate", depends_on=["Prepare"]),
    processing_step("Publish", depends_on=["Train", "Evaluate", "Prepare"]), processing_step("Audit"))))


def test_every_dependency_is_left_of_its_dependant_and_no_boxes_overlap():
    drawing = layout_nodes(STEPS)
    at = {node.name: node for node in drawing.nodes}

    for step in STEPS:
        for dependency in step.depends_on:
            assert at[dependency].x + NODE_WIDTH < at[step.name].x
    boxes = [(n.x, n.y, n.x + NODE_WIDTH, n.y + NODE_HEIGHT) for n in drawing.nodes]
    for index, (x1, y1, x2, y2) in enumerate(boxes):
        for u1, v1, u2, v2 in boxes[index + 1:]:
            assert x2 <= u1 or u2 <= x1 or y2 <= v1 or v2 <= y1
        assert x2 <= drawing.width
        assert y2 <= drawing.height


def test_an_edge_skipping_a_layer_bends_through_the_gap_and_the_drawing_is_the_same_each_time():
    drawing = layout_nodes(STEPS)
    skipping = next(edge for edge in drawing.edges if (edge.source, edge.target) == ("Prepare", "Publish"))
    direct = next(edge for edge in drawing.edges if (edge.source, edge.target) == ("Prepare", "Train"))

    assert skipping.path.count(" C") == 2
    assert direct.path.count(" C") == 1
    assert layout_nodes(STEPS) == drawing
