"""Transform steps: batch transform with the built-in XGBoost container, predicted here.

The model comes from the local stack's SageMaker (the Model step created it): its container's ModelDataUrl
is downloaded and `xgboost-model` loaded (a pickled Booster, as images before 1.3-1 write it, or XGBoost's
format). Every input object under the S3 prefix yields `<S3OutputPath>/<path below the prefix>.out`, made as
batch transform makes it: the object split into records (SplitType Line: one per line; None: the object),
DataProcessing.InputFilter applied to each record (JSONPath; a CSV record is an array of its fields),
the model's prediction for each, joined with the input record (JoinSource Input: a CSV record gets the
prediction as its last field, a JSON object a `SageMakerOutput` key), OutputFilter applied, records joined
by AssembleWith (Line: a newline; None: nothing). ContentType text/csv (features, no header) or
application/json (JSON Lines records: an array of features or an object whose filtered value is one).
BatchStrategy SingleRecord and MultiRecord give the same output here (records are predicted together).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import xgboost as xgb
from botocore.exceptions import ClientError

from localaws.sagemaker_endpoints import model_archive
from localaws.sagemaker_pipelines import containers, s3
from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult
from localaws.sagemaker_pipelines.store import now
from pipelines.pipeline_definition.errors import UnsupportedSetting
from pipelines.pipeline_definition.images import XGBOOST
from pipelines.pipeline_definition.transform_settings import (
    ASSEMBLE,
    check_transform_settings,
    filter_positions,
    parse_filter,
)

logger = logging.getLogger(__name__)


class TransformHandler(StepHandler):
    step_type = "Transform"

    def run(self, context: StepContext) -> StepResult:
        request = context.arguments
        name = context.job_name
        arn = context.arn("sagemaker", f"transform-job/{name.lower()}")
        started = now()
        description = {**request, "TransformJobName": name, "TransformJobArn": arn, "CreationTime": started,
                       "TransformStartTime": started}
        metadata = {"TransformJob": {"Arn": arn}}
        try:
            _check_request(request)
            booster = self._load_model(context, request["ModelName"])
            context.raise_if_stopped()
            written = self._predict_all(context, request, booster)
        except StepFailed as failure:
            description.update(TransformJobStatus="Failed", FailureReason=failure.reason, TransformEndTime=now())
            raise StepFailed(failure.reason, description, metadata) from None
        logger.info("transform %s: %d file(s) predicted", name, len(written))
        description.update(TransformJobStatus="Completed", TransformEndTime=now())
        return StepResult(description, metadata)

    def _load_model(self, context: StepContext, model_name: str) -> xgb.Booster:
        try:
            model = context.client("sagemaker").describe_model(ModelName=model_name)
        except ClientError as error:
            raise StepFailed(f"ClientError: model {model_name!r} cannot be read: {error}") from None
        container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
        containers.require_family(container.get("Image"), (XGBOOST,), "batch transform")
        archive = context.work_dir / "model.tar.gz"
        archive.write_bytes(s3.read_bytes(context.client("s3"), container["ModelDataUrl"]))
        return load_xgboost_model(archive)

    def _predict_all(self, context: StepContext, request: dict, booster: xgb.Booster) -> list[str]:
        source = request["TransformInput"]["DataSource"]["S3DataSource"]
        output = request["TransformOutput"]
        client = context.client("s3")
        keys = s3.list_keys(client, source["S3Uri"])
        if not keys:
            raise StepFailed(f"ClientError: no S3 objects found under S3 URL {source['S3Uri']}")
        bucket, prefix = s3.split_uri(source["S3Uri"])
        written = []
        plain = not _data_processing(request) and request["TransformInput"].get("ContentType", "text/csv") == \
            "text/csv" and output.get("AssembleWith", "Line") == "Line" and \
            request["TransformInput"].get("SplitType", "Line") == "Line"
        for index, key in enumerate(keys):
            local_output = context.work_dir / f"output-{index}.out"
            body = s3.read_bytes(client, f"s3://{bucket}/{key}")
            if plain:  # the common case, vectorised end to end
                predict_csv(booster, io.BytesIO(body), key, local_output)
            else:
                local_output.write_bytes(transform_records(booster, request, body, key))
            target = f"{output['S3OutputPath'].rstrip('/')}/{s3.relative_key(prefix, key)}.out"
            s3.upload_file(client, local_output, target, output.get("KmsKeyId"))
            written.append(target)
        return written


def _check_request(request: dict) -> None:
    try:
        check_transform_settings(request)
    except UnsupportedSetting as problem:
        raise StepFailed(f"ClientError: {problem}") from None


def _data_processing(request: dict) -> bool:
    processing = request.get("DataProcessing") or {}
    return processing.get("InputFilter", "$") != "$" or processing.get("OutputFilter", "$") != "$" or \
        processing.get("JoinSource", "None") != "None"


def compile_filter(path: str, name: str):
    """A record filter: JSONPath as batch transform applies it (array positions for CSV records)."""
    parts = filter_positions(path)
    if parts is not None:
        def select(record: Any) -> Any:
            if not isinstance(record, list):
                raise StepFailed(f"ClientError: {name} {path!r} selects array positions, the record is not an array")
            chosen = []
            for part in parts:
                if ":" in part:
                    start, _, stop = part.partition(":")
                    chosen += record[int(start) if start else None:int(stop) if stop else None]
                else:
                    try:
                        chosen.append(record[int(part)])
                    except IndexError:
                        raise StepFailed(f"ClientError: {name} {path!r}: the record has only {len(record)} "
                                         "field(s)") from None
            return chosen

        return select
    try:
        expression = parse_filter(path, name)
    except UnsupportedSetting as problem:
        raise StepFailed(f"ClientError: {problem}") from None

    def find(record: Any) -> Any:
        matches = [match.value for match in expression.find(record)]
        if not matches:
            raise StepFailed(f"ClientError: DataProcessing.{name} {path!r} matches nothing in a record")
        return matches[0] if len(matches) == 1 else matches

    return find


def _records(body: bytes, request: dict) -> list[bytes]:
    if request["TransformInput"].get("SplitType", "Line") == "None":
        return [body.strip()] if body.strip() else []
    return [line for line in body.splitlines() if line.strip()]


def _parse_record(record: bytes, content_type: str, name: str) -> Any:
    text = record.decode()
    if content_type == "text/csv":
        return next(iter(_csv_rows(text)))
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise StepFailed(f"ClientError: {name}: a record is not JSON ({error})") from None


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _features(value: Any, name: str) -> list[float]:
    """What the XGBoost container reads from a (filtered) record: an array of numbers, or an object holding
    one under `features` (its JSON instance format)."""
    if isinstance(value, dict) and "features" in value:
        value = value["features"]
    if not isinstance(value, list):
        value = [value]
    try:
        return [float(item) for item in value]
    except (TypeError, ValueError) as error:
        raise unreadable_csv(name, error) from None


def transform_records(booster: xgb.Booster, request: dict, body: bytes, name: str) -> bytes:
    """One input object as batch transform turns it into its .out object (see the module docstring)."""
    content_type = request["TransformInput"].get("ContentType", "text/csv")
    processing = request.get("DataProcessing") or {}
    input_filter = compile_filter(processing["InputFilter"], "InputFilter") \
        if processing.get("InputFilter", "$") != "$" else None
    output_filter = compile_filter(processing["OutputFilter"], "OutputFilter") \
        if processing.get("OutputFilter", "$") != "$" else None
    join = processing.get("JoinSource", "None") == "Input"
    records = [_parse_record(record, content_type, name) for record in _records(body, request)]
    if not records:
        return b""
    features = np.array([_features(input_filter(record) if input_filter else record, name) for record in records],
                        dtype=np.float32)
    check_feature_count(name, features.shape[1], booster)
    predictions = [float(f"{value:.8g}") for value in booster.inplace_predict(features)]
    lines = []
    for record, prediction in zip(records, predictions, strict=True):
        result: Any = prediction
        if join:
            if isinstance(record, dict):
                result = {**record, "SageMakerOutput": prediction}
            elif isinstance(record, list):
                result = [*record, prediction]
            else:
                result = [record, prediction]
        if output_filter:
            result = output_filter(result)
        lines.append(_serialize(result, content_type if join else "text/csv"))
    separator = ASSEMBLE[(request.get("TransformOutput") or {}).get("AssembleWith", "Line")]
    return separator.join(lines) + separator


def container_error(name: str, status: int, message: str, fix: str) -> StepFailed:
    """The XGBoost serving container's answer to a bad record, as the job's log shows it, and the fix."""
    return StepFailed(f"ClientError: {name}: the model container answered {status}: {message} ({fix})")


def unreadable_csv(name: str, error: Exception) -> StepFailed:
    return container_error(name, 415, "Loading csv data failed with Exception, please ensure data is in csv "
                           f"format: {type(error)} {error}", "numeric CSV without a header")


def check_feature_count(name: str, count: int, booster: xgb.Booster) -> None:
    if count != booster.num_features():
        raise container_error(name, 400, f"Unable to evaluate payload provided: Feature size of csv inference "
                              f"data {count} is not consistent with feature size of trained model "
                              f"{booster.num_features()}", "send the features only, without the label column, or "
                              "select them with DataProcessing.InputFilter")


def _serialize(value: Any, content_type: str) -> bytes:
    if content_type == "text/csv":
        fields = value if isinstance(value, list) else [value]
        return ",".join(f"{item:.8g}" if isinstance(item, float) else str(item) for item in fields).encode()
    return json.dumps(value, separators=(",", ":")).encode()


def load_xgboost_model(archive: Path) -> xgb.Booster:
    """The booster in a model.tar.gz holding `xgboost-model` (as the built-in algorithm writes it)."""
    try:
        return model_archive.load_xgboost_model(archive)
    except model_archive.ModelArchiveError as error:
        raise StepFailed(f"ClientError: {error}") from None


def predict_csv(booster: xgb.Booster, source: Path | BinaryIO, name: str, output_path: Path) -> int:
    """One prediction per input line (features only, no header) into `output_path`; returns the record count."""
    try:
        features = pd.read_csv(source, header=None, dtype=np.float32).to_numpy()
    except (ValueError, pd.errors.ParserError) as error:
        raise unreadable_csv(name, error) from None
    check_feature_count(name, features.shape[1], booster)
    predictions = booster.inplace_predict(features)
    with output_path.open("w") as stream:  # tofile formats in C: several times faster than savetxt
        predictions.tofile(stream, sep="\n", format="%.8g")
        stream.write("\n")
    return len(predictions)
