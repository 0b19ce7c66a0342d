"""The built-in XGBoost serving container's answer to one InvokeEndpoint request (algorithm mode).

As its serving code (`sagemaker_xgboost_container.algorithm_mode.serve`) answers:
- request Content-Type `text/csv` (parameters allowed, `label_size=1` only) or `text/libsvm` /
  `text/x-libsvm`: features without the label, one record per line. A missing Content-Type is libsvm, as in the
  container. Other valid training types (parquet, recordio-protobuf) are not emulated; any other type: 415 with
  the container's "... is not an accepted ContentType: ..." message;
- a payload that does not parse: 415 "Loading csv data failed with Exception, please ensure data is in csv
  format: ..."; a feature count that differs from the model's: 400 "Unable to evaluate payload provided: ...";
- Accept `text/csv` (also the default, and `*/*`): the scores one per line, `text/csv; charset=utf-8`;
  `application/json`: {"predictions": [{"score": s}, ...]}; `application/jsonlines`: one {"score": s} per line;
  any other Accept: 406 "Accept type ... is not supported. Please use supported accept types: [...]".
Scores are the booster's float32 predictions written with Python's repr of the float, so they read back exactly.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost as xgb

CSV = "text/csv"
LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm", "libsvm")
# The container's list of accepted training content types, in its order (its error message names them).
VALID_CONTENT_TYPES = ["csv", "libsvm", "parquet", "recordio-protobuf", "text/csv", "text/libsvm",
                       "text/x-libsvm", "application/x-parquet", "application/x-recordio-protobuf"]
SUPPORTED_ACCEPTS = ["application/json", "application/jsonlines", "application/x-recordio-protobuf", "text/csv"]
CSV_RESPONSE_TYPE = "text/csv; charset=utf-8"
SMALL_PAYLOAD_LINES = 256  # below this many lines splitting in Python beats pandas' fixed cost


@dataclass(frozen=True)
class ContainerAnswer:
    status: int
    body: bytes
    content_type: str

    @property
    def ok(self) -> bool:
        return self.status < 400


def _error(status: int, message: str) -> ContainerAnswer:
    return ContainerAnswer(status, message.encode(), "text/html; charset=utf-8")


def invoke(booster: xgb.Booster, payload: bytes, content_type: str | None, accept: str | None) -> ContainerAnswer:
    """What the container answers to POST /invocations with this payload."""
    if not payload:
        return ContainerAnswer(204, b"", CSV_RESPONSE_TYPE)
    media_type, parameters = _parse_header(content_type)
    if content_type is None or media_type in LIBSVM_TYPES:
        parsed = _libsvm(payload)
    elif media_type in ("text/csv", "csv"):
        if parameters.get("label_size", "1") != "1":
            return _error(415, f"{content_type} is not an accepted csv ContentType. Optional parameter label_size "
                               "must be equal to 1")
        parsed = _csv(payload)
    elif media_type in VALID_CONTENT_TYPES:
        return _error(415, f"Content-type {content_type} is not emulated by the local stack: send text/csv or "
                           "text/libsvm")
    else:
        return _error(415, f"{content_type} is not an accepted ContentType: {', '.join(VALID_CONTENT_TYPES)}.")
    if isinstance(parsed, ContainerAnswer):
        return parsed
    if parsed.shape[1] != booster.num_features():
        return _error(400, f"Unable to evaluate payload provided: Feature size of {media_type or 'libsvm'} "
                           f"inference data {parsed.shape[1]} is not consistent with feature size of trained "
                           f"model {booster.num_features()}.")
    try:
        scores = booster.inplace_predict(parsed).tolist()
    except xgb.core.XGBoostError as error:
        return _error(400, f"Unable to evaluate payload provided: {str(error).splitlines()[0]}")
    return encode(scores, accept)


def encode(scores: list[float], accept: str | None) -> ContainerAnswer:
    media_type, _ = _parse_header(accept)
    if not media_type or media_type == "*/*" or media_type == CSV:
        # str() of each score, one per line; json writes the same repr of a float, in C
        return ContainerAnswer(200, json.dumps(scores)[1:-1].replace(", ", "\n").encode(), CSV_RESPONSE_TYPE)
    if media_type == "application/json":
        body = json.dumps({"predictions": [{"score": score} for score in scores]})
        return ContainerAnswer(200, body.encode(), "application/json")
    if media_type == "application/jsonlines":
        body = "\n".join(json.dumps({"score": score}) for score in scores)
        return ContainerAnswer(200, body.encode(), "application/jsonlines")
    return _error(406, f"Accept type {accept} is not supported. Please use supported accept types: "
                       f"{SUPPORTED_ACCEPTS}.")


def _parse_header(value: str | None) -> tuple[str, dict[str, str]]:
    if not value:
        return "", {}
    media_type, *parts = value.split(";")
    parameters = {}
    for part in parts:
        key, _, item = part.partition("=")
        parameters[key.strip().lower()] = item.strip().strip('"')
    return media_type.strip().lower(), parameters


def _csv(payload: bytes) -> np.ndarray | ContainerAnswer:
    # A few lines parse fastest split in Python (numpy refuses ragged rows); more are pandas' C reader's, which
    # also reads empty fields as missing values and names the problem of a payload it cannot read.
    if payload.count(b"\n") < SMALL_PAYLOAD_LINES:
        try:
            rows = [line.split(",") for line in payload.decode("utf-8").replace("\r", "").strip().split("\n")]
            return np.array(rows, dtype=np.float32)
        except (ValueError, UnicodeDecodeError):
            pass
    try:
        frame = pd.read_csv(io.BytesIO(payload.strip()), header=None, dtype=np.float32, skip_blank_lines=True)
        return frame.to_numpy()
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        return _error(415, "Loading csv data failed with Exception, please ensure data is in csv format:\n "
                           f"{type(error)}\n {error}")


def _libsvm(payload: bytes) -> np.ndarray | ContainerAnswer:
    """Rows of `index:value` items (a leading label without ':' is ignored, as the container does)."""
    try:
        rows = []
        for line in payload.strip().decode("utf-8").split("\n"):
            row = {}
            for item in line.split(" "):
                if ":" in item:
                    index, _, value = item.partition(":")
                    row[int(index)] = float(value)
            rows.append(row)
        width = max((max(row) + 1 for row in rows if row), default=0)
        matrix = np.full((len(rows), width), np.nan, dtype=np.float32)
        for number, row in enumerate(rows):
            for index, value in row.items():
                matrix[number, index] = value
        return matrix
    except (ValueError, UnicodeDecodeError) as error:
        return _error(415, "Loading libsvm data failed with Exception, please ensure data is in libsvm format:\n "
                           f"{type(error)}\n {error}")
