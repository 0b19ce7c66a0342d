"""ACK `Pipeline`/`PipelineExecution` manifests as the Kubernetes API server reads them: YAML with no tab in an
indentation, every document valid against the CRD schema with unknown fields rejected (`schema.strict_schema`),
each problem named by file, line and field. Used by the manifest check and by the local stand-in for the cluster
(`manifests` writes the documents, this module reads them).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pipelines.ack.schema import RESOURCES, strict_schema
from pipelines.errors import UsageError

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    source: str
    line: int
    path: JsonPath
    message: str

    def __str__(self) -> str:
        where = f"{format_path(self.path)}: " if self.path else ""
        return f"{self.source}:{self.line}: {where}{self.message}"


class ManifestInvalid(UsageError):
    """One or more manifests failed the checks; the message has one line per problem."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class LoadedDocument:
    """One YAML document: its data and the line of every field (1-based), keyed by JSON path."""

    source: str
    data: Any
    lines: dict[JsonPath, int] = field(default_factory=dict)

    def line(self, path: JsonPath) -> int:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    @property
    def kind(self) -> str | None:
        return self.data.get("kind") if isinstance(self.data, Mapping) else None


def format_path(path: JsonPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- reading ---------------------------------------------------------------------------------------------------

def load_documents(text: str, source: str) -> list[LoadedDocument]:
    """The non-empty documents of a YAML text with their field lines; ManifestInvalid for tabs or bad YAML."""
    tabs = [Problem(source, number, (), "a tab in the indentation: YAML indents with spaces only, replace it")
            for number, line in enumerate(text.splitlines(), start=1)
            if "\t" in line[:len(line) - len(line.lstrip(" \t"))]]
    if tabs:
        raise ManifestInvalid(tabs)
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        values = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        unindented = _unindented_block(text)
        if unindented:
            raise ManifestInvalid([Problem(source, *unindented)]) from None
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        hint = f" ({context})" if context else ""
        raise ManifestInvalid([Problem(source, line, (), f"not valid YAML: {problem}{hint}")]) from None
    documents, duplicates = [], []
    for node, value in zip(nodes, values, strict=True):
        if value is None:
            continue
        document = LoadedDocument(source, value)
        duplicates.extend(Problem(source, line, path, "given twice: YAML keeps only the last, kubectl refuses it")
                          for path, line in _record_lines(node, (), document.lines))
        documents.append(document)
    if duplicates:
        raise ManifestInvalid(duplicates)
    return documents


def _unindented_block(text: str) -> tuple[int, JsonPath, str] | None:
    """(line, field, message) for a block scalar (`key: |`) whose text is not indented under its key: the
    usual way a pasted definition breaks a manifest (the YAML error itself points somewhere later)."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        key, colon, indicator = line.partition(":")
        if not colon or not re.fullmatch(r"\s*[|>][-+]?\d?\s*", indicator):
            continue
        following = next(((n, other) for n, other in enumerate(lines[number:], start=number + 1) if other.strip()),
                         None)
        key_indent = len(key) - len(key.lstrip(" "))
        if following and len(following[1]) - len(following[1].lstrip(" ")) <= key_indent:
            return (following[0], (key.strip(),),
                    f"the text of `{key.strip()}:{indicator.rstrip()}` (line {number}) must be indented "
                    f"more than `{key.strip()}`")
    return None


def _record_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> Iterator[tuple[JsonPath, int]]:
    """Record the line of every field under `node`; yields (path, line) of each key given twice."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            if child in lines:
                yield child, key.start_mark.line + 1
            lines[child] = key.start_mark.line + 1
            yield from _record_lines(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            yield from _record_lines(item, (*path, index), lines)


# --- checking --------------------------------------------------------------------------------------------------

def schema_problems(document: LoadedDocument) -> list[Problem]:
    data = document.data
    if not isinstance(data, Mapping):
        return [Problem(document.source, 1, (), "a manifest must be a mapping (apiVersion, kind, metadata, spec)")]
    kind = data.get("kind")
    if kind not in RESOURCES:
        return [Problem(document.source, document.line(("kind",)), ("kind",),
                        f"{kind!r} is not a kind this checks: use {' or '.join(RESOURCES)}")]
    validator = jsonschema.Draft202012Validator(strict_schema(kind))
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        problems.extend(_explain(error, document, kind))
    return problems


def _explain(error: jsonschema.ValidationError, document: LoadedDocument, kind: str) -> list[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    source = document.source
    if error.validator == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known), key=str)
        return [Problem(source, document.line((*path, name)), (*path, name),
                        f"unknown field{_did_you_mean(str(name), known, path, kind)}") for name in unknown]
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [Problem(source, document.line(path), (*path, name), "missing: this field is required")
                for name in missing]
    if error.validator == "type":
        expected = error.validator_value
        message = f"must be {'an' if expected in ('object', 'array', 'integer') else 'a'} {expected}, " \
                  f"got {_json_type(error.instance)}"
        if path == ("spec", "pipelineDefinition"):
            message += ("; give the definition JSON as text: `pipelineDefinition: |` with the JSON on the lines "
                        "below it, indented")
        return [Problem(source, document.line(path), path, message)]
    if error.validator == "const":
        message = f"must be {error.validator_value!r}, got {error.instance!r}"
        return [Problem(source, document.line(path), path, message)]
    if error.validator == "pattern" and path[:1] == ("metadata",):
        return [Problem(source, document.line(path), path,
                        f"{error.instance!r} is not a Kubernetes name: lowercase letters, digits, '-' and '.'")]
    return [Problem(source, document.line(path), path, error.message)]


def _did_you_mean(name: str, known: list[str], path: JsonPath, kind: str) -> str:
    same_letters = [field_name for field_name in known if field_name.lower() == name.lower()]
    close = same_letters or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    spec_fields = strict_schema(kind)["properties"]["spec"]["properties"]
    if not path and name in spec_fields:
        return f"; {name} belongs under spec"
    return f" (known: {', '.join(known)})"


def _json_type(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "nothing (null)"
    return "a string"


def manifest_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, with a folder standing for its *.yaml and *.yml files (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise UsageError(f"{path}: no *.yaml or *.yml file in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return files


def read_manifests(paths: Iterable[Path]) -> list[LoadedDocument]:
    """Every document of the files (folders: their YAML files), valid against the CRD schema; ManifestInvalid with
    all problems."""
    documents, problems = [], []
    for path in manifest_files(paths):
        try:
            documents.extend(load_documents(path.read_text(), str(path)))
        except UnicodeDecodeError:
            problems.append(Problem(str(path), 1, (), "not a UTF-8 text file"))
        except ManifestInvalid as invalid:
            problems.extend(invalid.problems)
    problems.extend(problem for document in documents for problem in schema_problems(document))
    if problems:
        raise ManifestInvalid(problems)
    return documents
