"""Transform steps: batch transform with the built-in XGBoost container, predicted here.

The model comes from the local stack's SageMaker (the Model step created it): its container's ModelDataUrl
is downloaded and `xgboost-model` loaded. Every input object under the S3 prefix (text/csv, features only,
no header, SplitType Line) yields `<S3OutputPath>/<path below the prefix>.out` with one prediction per line,
as the built-in container writes with Accept text/csv and AssembleWith Line.
"""

from __future__ import annotations

import io
import logging
import tarfile
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import xgboost as xgb
from botocore.exceptions import ClientError

from pipelines.local.executor import containers, s3
from pipelines.local.executor.errors import StepFailed
from pipelines.local.executor.steps.base import StepContext, StepHandler, StepResult
from pipelines.local.executor.steps.training import MODEL_FILE
from pipelines.local.executor.store import now

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
        containers.require_family(container.get("Image"), (containers.XGBOOST,), "batch transform")
        archive = context.work_dir / "model.tar.gz"
        archive.write_bytes(s3.read_bytes(context.client("s3"), container["ModelDataUrl"]))
        return load_xgboost_model(archive, context.work_dir / "model")

    def _predict_all(self, context: StepContext, request: dict, booster: xgb.Booster) -> list[str]:
        source = request["TransformInput"]["DataSource"]["S3DataSource"]
        output = request["TransformOutput"]
        client = context.client("s3")
        keys = s3.list_keys(client, source["S3Uri"])
        if not keys:
            raise StepFailed(f"ClientError: no S3 objects found under S3 URL {source['S3Uri']}")
        bucket, prefix = s3.split_uri(source["S3Uri"])
        written = []
        for index, key in enumerate(keys):
            local_output = context.work_dir / f"output-{index}.out"
            predict_csv(booster, io.BytesIO(s3.read_bytes(client, f"s3://{bucket}/{key}")), key, local_output)
            target = f"{output['S3OutputPath'].rstrip('/')}/{s3.relative_key(prefix, key)}.out"
            s3.upload_file(client, local_output, target, output.get("KmsKeyId"))
            written.append(target)
        return written


def _check_request(request: dict) -> None:
    content_type = request["TransformInput"].get("ContentType", "text/csv")
    if content_type != "text/csv":
        raise StepFailed(f"ClientError: ContentType {content_type!r} is not emulated locally (use text/csv)")
    if request["TransformInput"].get("SplitType", "Line") not in ("Line", "None"):
        raise StepFailed("ClientError: only SplitType Line is emulated locally")
    if request["TransformInput"]["DataSource"]["S3DataSource"].get("S3DataType", "S3Prefix") != "S3Prefix":
        raise StepFailed("ClientError: only S3DataType S3Prefix is emulated locally")
    processing = {key: value for key, value in (request.get("DataProcessing") or {}).items()
                  if value not in (None, "$", "None")}
    if processing:
        raise StepFailed(f"ClientError: DataProcessing {processing} is not emulated locally")


def load_xgboost_model(archive: Path, extract_dir: Path) -> xgb.Booster:
    """The booster in a model.tar.gz holding `xgboost-model` (as the built-in algorithm writes it)."""
    extract_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extract(MODEL_FILE, extract_dir, filter="data")
    except (tarfile.TarError, KeyError) as error:
        raise StepFailed(f"ClientError: the model archive has no {MODEL_FILE}: {error}") from None
    booster = xgb.Booster()
    with warnings.catch_warnings():  # `xgboost-model` has no extension by the container's convention
        warnings.filterwarnings("ignore", message=".*Unknown file format.*")
        booster.load_model(str(extract_dir / MODEL_FILE))
    return booster


def predict_csv(booster: xgb.Booster, source: Path | BinaryIO, name: str, output_path: Path) -> int:
    """One prediction per input line (features only, no header) into `output_path`; returns the record count."""
    try:
        features = pd.read_csv(source, header=None, dtype=np.float32).to_numpy()
    except (ValueError, pd.errors.ParserError) as error:
        raise StepFailed(f"ClientError: {name} is not numeric CSV without header: {error}") from None
    if features.shape[1] != booster.num_features():
        raise StepFailed(f"ClientError: the batch has {features.shape[1]} feature column(s), the model expects "
                         f"{booster.num_features()} (features only, no label column)")
    predictions = booster.inplace_predict(features)
    with output_path.open("w") as stream:  # tofile formats in C: several times faster than savetxt
        predictions.tofile(stream, sep="\n", format="%.8g")
        stream.write("\n")
    return len(predictions)
