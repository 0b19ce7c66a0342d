"""Training steps: the built-in XGBoost algorithm, trained here with its container's conventions, and script
mode of the XGBoost and scikit-learn framework images (steps/script_mode.py).

CSV channels (`train`, optional `validation`): the label in the first column, no header, every file under
the channel's S3 prefix; or libsvm channels (ContentType libsvm / text/libsvm). HyperParameters arrive as
strings (as in CreateTrainingJob) and are typed like the container does (eval_metric: a comma-separated list);
num_round is required. The model is `xgboost-model` inside <S3OutputPath>/<job name>/output/model.tar.gz (under
output/model/ with OutputDataConfig.CompressionType NONE), in the format of the image's version: a Python pickle
of the Booster before 1.3-1, XGBoost's own format (Booster.save_model) from 1.3-1 on.
"""

from __future__ import annotations

import json
import logging
import pickle
import re
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from localaws.sagemaker_endpoints.model_archive import MODEL_FILE
from localaws.sagemaker_pipelines import containers, s3
from localaws.sagemaker_pipelines.archives import output_compression, upload_model
from localaws.sagemaker_pipelines.errors import StepFailed, StepStopped
from localaws.sagemaker_pipelines.steps import script_mode
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult
from localaws.sagemaker_pipelines.store import now
from pipelines.pipeline_definition.images import SKLEARN, TRAINING_FAMILIES, is_script_mode

logger = logging.getLogger(__name__)

CSV_CONTENT_TYPES = ("text/csv", "csv", "text/csv;label_size=1")
LIBSVM_CONTENT_TYPES = ("libsvm", "text/libsvm", "text/x-libsvm")
# The first image version that saves the model with Booster.save_model instead of pickling the Booster.
NATIVE_FORMAT_SINCE = (1, 3, 1)
_VERSION_TAG = re.compile(r"^(\d+)\.(\d+)-(\d+)")
# SageMaker's own hyperparameters (script mode, debugger) that are not XGBoost parameters.
_SAGEMAKER_KEYS = ("sagemaker_", "_tuning_objective_metric")


class TrainingHandler(StepHandler):
    step_type = "Training"

    def run(self, context: StepContext) -> StepResult:
        description = self.train(context, context.arguments, context.job_name)
        return StepResult(description, {"TrainingJob": {"Arn": description["TrainingJobArn"]}})

    def train(self, context: StepContext, request: dict[str, Any], name: str,
              channel_cache: ChannelCache | None = None) -> dict[str, Any]:
        """Run one training job (a CreateTrainingJob request) in `context.work_dir`; its DescribeTrainingJob
        answer. A failure raises StepFailed carrying the Failed description. Jobs sharing `channel_cache` read
        each input channel once."""
        arn = context.arn("sagemaker", f"training-job/{name.lower()}")
        started = now()
        description = {**request, "TrainingJobName": name, "TrainingJobArn": arn, "CreationTime": started,
                       "TrainingStartTime": started}
        metadata = {"TrainingJob": {"Arn": arn}}
        try:
            algorithm = request.get("AlgorithmSpecification") or {}
            output_compression(request.get("OutputDataConfig") or {})  # CreateTrainingJob checks it first
            family = containers.require_family(algorithm.get("TrainingImage"), TRAINING_FAMILIES, "a training job")
            hyperparameters = dict(request.get("HyperParameters") or {})
            if is_script_mode(hyperparameters):
                model_uri, metrics = script_mode.run_training_script(context, request, name)
            elif family == SKLEARN:
                raise StepFailed("ClientError: the scikit-learn image trains in script mode only: give the "
                                 "estimator an entry_point (the sagemaker_program hyperparameter)")
            else:
                channels = self._load_channels(context, request.get("InputDataConfig") or []) \
                    if channel_cache is None else channel_cache.get(
                        request.get("InputDataConfig") or [],
                        lambda: self._load_channels(context, request.get("InputDataConfig") or []))
                context.raise_if_stopped()
                max_runtime = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
                log: list[str] = []
                try:
                    booster, metrics = train_builtin_xgboost(hyperparameters, channels, context.stop, max_runtime,
                                                             log)
                finally:
                    containers.write_job_log(context.client, "TrainingJobs", name, log)
                context.raise_if_stopped()
                model_uri = self._save_model(context, request, name, booster,
                                             image_version(algorithm.get("TrainingImage")))
        except StepFailed as failure:
            description.update(TrainingJobStatus="Failed", FailureReason=failure.reason, TrainingEndTime=now())
            raise StepFailed(failure.reason, description, metadata) from None
        description.update(
            TrainingJobStatus="Completed", SecondaryStatus="Completed", TrainingEndTime=now(), LastModifiedTime=now(),
            ModelArtifacts={"S3ModelArtifacts": model_uri},
            FinalMetricDataList=[{"MetricName": metric, "Value": value, "Timestamp": now()}
                                 for metric, value in metrics.items()],
        )
        return description

    def _load_channels(self, context: StepContext, channels: list[dict]) -> dict[str, pd.DataFrame]:
        data = {}
        for channel in channels:
            name = channel.get("ChannelName")
            content_type = channel.get("ContentType", "text/csv").replace(" ", "").lower()
            if content_type not in CSV_CONTENT_TYPES + LIBSVM_CONTENT_TYPES:
                raise StepFailed(f"ClientError: channel {name!r} has ContentType {content_type!r}: the local XGBoost "
                                 "emulation reads text/csv (label first, no header) and libsvm")
            source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
            local_dir = context.work_dir / "input" / "data" / str(name)
            files = [path for path in s3.download_prefix(context.client("s3"), source.get("S3Uri"), local_dir)
                     if path.stat().st_size > 0]
            if not files:
                raise StepFailed(f"ClientError: channel {name!r} has no data under {source.get('S3Uri')}")
            if content_type in LIBSVM_CONTENT_TYPES:
                data[name] = read_libsvm(files)
            else:
                data[name] = pd.concat([pd.read_csv(path, header=None) for path in files], ignore_index=True)
        if "train" not in data:
            raise StepFailed(f"ClientError: the XGBoost algorithm needs a 'train' channel, got {sorted(data)}")
        return data

    def _save_model(self, context: StepContext, request: dict, job_name: str, booster: xgb.Booster,
                    version: tuple[int, int, int] | None) -> str:
        model_path = context.work_dir / "model" / MODEL_FILE
        model_path.parent.mkdir(parents=True)
        save_model(booster, model_path, version)
        return upload_model(context.client("s3"), model_path.parent, request.get("OutputDataConfig") or {}, job_name,
                            context.work_dir)


class ChannelCache:
    """The input channels of training jobs that read the same data (a tuning job's), read by the first job."""

    def __init__(self) -> None:
        self._channels: dict[str, dict[str, pd.DataFrame]] = {}
        self._lock = threading.Lock()

    def get(self, config: list[dict], load: Callable[[], dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
        key = json.dumps(config, sort_keys=True, default=str)
        with self._lock:
            if key not in self._channels:
                self._channels[key] = load()
            return self._channels[key]


def image_version(image_uri: str | None) -> tuple[int, int, int] | None:
    """'.../sagemaker-xgboost:1.0-1-cpu-py3' -> (1, 0, 1); None for a digest or a tag without a version."""
    tag = (image_uri or "").split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
    match = _VERSION_TAG.match(tag)
    return tuple(int(part) for part in match.groups()) if match else None


def save_model(booster: xgb.Booster, path: Path, version: tuple[int, int, int] | None) -> None:
    """`xgboost-model` as the image version writes it (an unknown version: the current format)."""
    if version is not None and version < NATIVE_FORMAT_SINCE:
        # Evaluation scripts written for these images load it with pickle.load / joblib.load.
        path.write_bytes(pickle.dumps(booster, protocol=pickle.HIGHEST_PROTOCOL))
        return
    with warnings.catch_warnings():  # the container's file name has no extension; UBJSON is the default
        warnings.filterwarnings("ignore", message=".*UBJSON format as default.*")
        booster.save_model(str(path))


def read_libsvm(files: list[Path]) -> pd.DataFrame:
    """libsvm files as one frame, label first (the shape the CSV channels have)."""
    from sklearn.datasets import load_svmlight_files

    loaded = load_svmlight_files([str(path) for path in files], zero_based="auto")
    width = max(matrix.shape[1] for matrix in loaded[0::2])
    frames = [pd.DataFrame(np.column_stack([labels, np.pad(matrix.toarray(), ((0, 0), (0, width - matrix.shape[1])))]))
              for matrix, labels in zip(loaded[0::2], loaded[1::2], strict=True)]
    return pd.concat(frames, ignore_index=True)


class _Limits(xgb.callback.TrainingCallback):
    """Ends training between rounds when the job is stopped or has run past MaxRuntimeInSeconds."""

    def __init__(self, stop: threading.Event | None, max_runtime: float | None):
        super().__init__()
        self.stop, self.deadline = stop, time.monotonic() + max_runtime if max_runtime else None
        self.outcome: str | None = None

    def after_iteration(self, model, epoch, evals_log) -> bool:
        if self.stop is not None and self.stop.is_set():
            self.outcome = "stopped"
        elif self.deadline is not None and time.monotonic() > self.deadline:
            self.outcome = "timed out"
        return self.outcome is not None


def train_builtin_xgboost(hyperparameters: dict[str, str], channels: dict[str, pd.DataFrame],
                          stop: threading.Event | None = None, max_runtime: float | None = None,
                          log: list[str] | None = None) -> tuple[xgb.Booster, dict[str, float]]:
    """Train as the built-in algorithm does; returns the booster and its final metrics ('validation:auc' ...).

    Appends to `log` each round's line as the algorithm writes it to CloudWatch ('[3]#011train-auc:0.91#011
    validation-auc:0.88': a tab shows as #011 there), the lines metric definitions read."""
    params = {key: parse_hyperparameter(value) for key, value in hyperparameters.items()
              if not key.startswith(_SAGEMAKER_KEYS)}
    if isinstance(params.get("eval_metric"), str):  # 'auc,error' -> ['auc', 'error'], as the algorithm splits it
        params["eval_metric"] = [metric.strip() for metric in params["eval_metric"].split(",") if metric.strip()]
    if "num_round" not in params:
        raise StepFailed("AlgorithmError: hyperparameter 'num_round' is required by the XGBoost algorithm")
    num_round = params.pop("num_round")
    early_stopping = params.pop("early_stopping_rounds", None)
    if not isinstance(num_round, int) or num_round <= 0:
        raise StepFailed(f"AlgorithmError: hyperparameter 'num_round' must be a positive integer, got {num_round!r}")
    matrices = {}
    for name, frame in channels.items():
        if frame.shape[1] < 2:
            raise StepFailed(f"AlgorithmError: channel {name!r} needs the label and at least one feature column")
        matrices[name] = xgb.DMatrix(frame.iloc[:, 1:].to_numpy(dtype=np.float32), label=frame.iloc[:, 0].to_numpy())
    evaluations = [(matrices[name], name) for name in ("train", "validation") if name in matrices]
    history: dict[str, dict[str, list[float]]] = {}
    limits = _Limits(stop, max_runtime)
    try:
        booster = xgb.train(params, matrices["train"], num_boost_round=num_round, evals=evaluations,
                            evals_result=history, early_stopping_rounds=early_stopping, verbose_eval=False,
                            callbacks=[limits])
    except xgb.core.XGBoostError as error:
        raise StepFailed(f"AlgorithmError: XGBoost training failed: {str(error).splitlines()[0]}") from None
    if limits.outcome == "stopped":
        raise StepStopped("the training job was stopped")
    if limits.outcome == "timed out":
        raise StepFailed(containers.MAX_RUNTIME_REASON)
    rounds = len(next(iter(next(iter(history.values())).values()))) if history else 0
    if log is not None:
        log.extend(f"[{round_index}]" + "".join(
            f"#011{channel}-{metric}:{values[round_index]:.5f}"
            for channel, by_metric in history.items() for metric, values in by_metric.items())
            for round_index in range(rounds))
    metrics = {f"{channel}:{metric}": float(values[-1])
               for channel, by_metric in history.items() for metric, values in by_metric.items()}
    logger.info("trained XGBoost: %d round(s), %s", booster.num_boosted_rounds(),
                ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    return booster, metrics


def parse_hyperparameter(value: Any) -> Any:
    """'50' -> 50, '0.2' -> 0.2, 'binary:logistic' stays text (the container parses hyperparameters this way)."""
    if not isinstance(value, str):
        return value
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value
