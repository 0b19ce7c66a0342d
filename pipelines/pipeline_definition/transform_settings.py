"""The batch transform settings the local executor emulates (content and split types, record filters, join,
assembly), checked on a CreateTransformJob request: before a run on the settings written into the
definition, and when the step runs on the whole request once its expressions are evaluated."""

from __future__ import annotations

import re
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.ext import parse as parse_jsonpath

from pipelines.pipeline_definition.errors import UnsupportedSetting

CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines")
ASSEMBLE = {"Line": b"\n", "None": b""}
# A JSONPath of array positions: $[1:], $[0,-1], $[0,3:5] (CSV records are arrays of their fields).
_POSITIONS = re.compile(r"^\$\[\s*(-?\d*(?::-?\d*)?\s*(?:,\s*-?\d*(?::-?\d*)?\s*)*)\]$")


def check_transform_settings(request: dict) -> None:
    """UnsupportedSetting naming the first setting of `request` the local executor does not emulate."""
    content_type = request["TransformInput"].get("ContentType", "text/csv")
    if content_type not in CONTENT_TYPES:
        raise UnsupportedSetting(f"ContentType {content_type!r} is not emulated locally "
                                 f"(use {', '.join(CONTENT_TYPES)})")
    if request["TransformInput"].get("SplitType", "Line") not in ("Line", "None"):
        raise UnsupportedSetting("SplitType Line and None are emulated locally (RecordIO and TFRecord are not)")
    if request["TransformInput"]["DataSource"]["S3DataSource"].get("S3DataType", "S3Prefix") != "S3Prefix":
        raise UnsupportedSetting("only S3DataType S3Prefix is emulated locally")
    if request["TransformInput"].get("CompressionType", "None") != "None":
        raise UnsupportedSetting("only CompressionType None is emulated locally")
    if request.get("BatchStrategy", "MultiRecord") not in ("MultiRecord", "SingleRecord"):
        raise UnsupportedSetting(f"BatchStrategy {request['BatchStrategy']!r}: use MultiRecord or SingleRecord")
    assemble = (request.get("TransformOutput") or {}).get("AssembleWith", "Line")
    if assemble not in ASSEMBLE:
        raise UnsupportedSetting(f"AssembleWith {assemble!r}: use Line or None")
    accept = (request.get("TransformOutput") or {}).get("Accept", "text/csv")
    if accept not in ("text/csv", None):
        raise UnsupportedSetting(f"Accept {accept!r} is not emulated locally: the XGBoost container answers "
                                 "text/csv here")
    processing = request.get("DataProcessing") or {}
    if processing.get("JoinSource", "None") not in ("None", "Input"):
        raise UnsupportedSetting(f"DataProcessing.JoinSource {processing['JoinSource']!r}: use Input or None")
    for name in ("InputFilter", "OutputFilter"):
        if processing.get(name) not in (None, "$") and filter_positions(processing[name]) is None:
            parse_filter(processing[name], name)


def literal_settings(arguments: dict) -> dict:
    """The request's record-handling settings that are plain text in the definition (the others are checked
    when the step runs, once their expressions are evaluated)."""
    def text(container: Any, *keys: str) -> dict:
        container = container if isinstance(container, dict) else {}
        return {key: container[key] for key in keys if isinstance(container.get(key), str)}

    transform_input = arguments.get("TransformInput") if isinstance(arguments.get("TransformInput"), dict) else {}
    source = ((transform_input.get("DataSource") or {}) if isinstance(transform_input.get("DataSource"), dict)
              else {}).get("S3DataSource")
    return {"TransformInput": {**text(transform_input, "ContentType", "SplitType", "CompressionType"),
                               "DataSource": {"S3DataSource": text(source, "S3DataType")}},
            "TransformOutput": text(arguments.get("TransformOutput"), "AssembleWith", "Accept"),
            **text(arguments, "BatchStrategy"),
            "DataProcessing": text(arguments.get("DataProcessing"), "InputFilter", "OutputFilter", "JoinSource")}


def filter_positions(path: str) -> list[str] | None:
    """The array positions a record filter selects ('$[0,3:5]' -> ['0', '3:5']); None for another JSONPath."""
    positions = _POSITIONS.match(path.replace(" ", ""))
    return positions.group(1).split(",") if positions else None


def parse_filter(path: str, name: str) -> JSONPath:
    """A record filter (DataProcessing.`name`) as batch transform applies it: a JSONPath."""
    try:
        return parse_jsonpath(path)
    except Exception as error:  # the parser raises JsonPathParserError, and plain Exception for some input
        raise UnsupportedSetting(f"DataProcessing.{name} {path!r} is not a JSONPath: {error}") from None
