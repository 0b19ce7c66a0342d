"""Strict checks of ACK `Pipeline`/`PipelineExecution` manifests, each problem named by file, line and field.

A manifest passes when it reads as the Kubernetes API server reads it (`manifests`: YAML, the CRD schema with
unknown fields rejected) and every embedded pipeline definition passes the checks the executor makes before a
run (`pipelines.pipeline_definition`: step graph, step types, step arguments); an execution's parameters are
checked against its pipeline when that pipeline is among the files checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pipelines.ack.documents import JsonPath, LoadedDocument, ManifestInvalid, Problem, read_manifests, schema_problems
from pipelines.errors import UsageError
from pipelines.pipeline_definition.errors import PipelineDefinitionError
from pipelines.pipeline_definition.graph import build_graph
from pipelines.pipeline_definition.parameters import resolve_parameters
from pipelines.pipeline_definition.step_checks import STEP_CHECKS, check_step, unsupported_steps


def check_definition(definition: str, parameters: Mapping[str, str] | None = None) -> None:
    """The checks the executor makes before running a definition (nothing runs, no AWS call); with
    `parameters`, also their names and types. Raises a UsageError naming the problem."""
    try:
        document = json.loads(definition)
    except json.JSONDecodeError as error:
        raise PipelineDefinitionError(f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
                                      ) from None
    if not isinstance(document, Mapping):
        raise PipelineDefinitionError("the definition must be a JSON object")
    nodes = build_graph(document)
    unsupported = unsupported_steps(nodes, STEP_CHECKS)
    if unsupported:
        raise PipelineDefinitionError(f"unsupported step type in step(s) {unsupported}: supported are "
                                      f"{', '.join(sorted(STEP_CHECKS))}")
    for node in nodes:
        check_step(node)
    if parameters is not None:
        resolve_parameters(document, parameters)


def definition_problems(documents: Sequence[LoadedDocument]) -> list[Problem]:
    """Problems of the embedded definitions, and of execution parameters whose pipeline is among `documents`."""
    problems = []
    definitions: dict[str, tuple[str, LoadedDocument]] = {}
    for document in documents:
        if document.kind != "Pipeline":
            continue
        spec = document.data["spec"]
        definition = spec.get("pipelineDefinition")
        path: JsonPath = ("spec", "pipelineDefinition")
        if definition is None:
            problems.append(Problem(document.source, document.line(("spec",)), path,
                                    "missing: the controller creates the pipeline from this definition"))
            continue
        try:
            check_definition(definition)
        except UsageError as error:
            problems.append(Problem(document.source, document.line(path), path, str(error)))
            continue
        definitions[spec["pipelineName"]] = (definition, document)
    for document in documents:
        if document.kind != "PipelineExecution" or document.data["spec"]["pipelineName"] not in definitions:
            continue
        given = {entry["name"]: entry["value"] for entry in document.data["spec"].get("pipelineParameters") or []}
        definition, _ = definitions[document.data["spec"]["pipelineName"]]
        path = ("spec", "pipelineParameters")
        try:
            check_definition(definition, given)
        except UsageError as error:
            problems.append(Problem(document.source, document.line(path), path, str(error)))
    return problems


def check_documents(documents: Sequence[LoadedDocument]) -> None:
    """Raise ManifestInvalid listing every problem of `documents` (schema first; definitions of valid ones)."""
    problems, valid = [], []
    for document in documents:
        found = schema_problems(document)
        problems.extend(found)
        if not found:
            valid.append(document)
    problems.extend(definition_problems(valid))
    if problems:
        raise ManifestInvalid(problems)


def load_files(paths: Iterable[Path]) -> list[LoadedDocument]:
    """Every document of the files (folders: their YAML files), checked; ManifestInvalid with all problems."""
    documents = read_manifests(paths)
    problems = definition_problems(documents)
    if problems:
        raise ManifestInvalid(problems)
    return documents
