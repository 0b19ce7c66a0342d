"""What both pipeline definitions share: a session that never calls AWS, image URIs, content-addressed code.

Definitions are pure: building one makes no AWS or network call and gives byte-identical JSON for the same
inputs. The pieces that make that true live here:
- every build runs inside `pipelines.sdk_quiet.offline_sdk`: boto3 sessions and clients that refuse to be used
  (no credential is ever looked up and no call can happen), no role check against IAM, no log handler added;
- `definition_session` builds a PipelineSession with such clients; an explicit SDK config, so no config file or
  S3 config is read and telemetry stays off; a default bucket that is never resolved;
- processing scripts are referenced by `s3://<data bucket>/code/<sha256>/<file>`, so the SDK uploads nothing
  and an edited script changes only its own URI; `run-pipeline` uploads the `CodeAsset`s before upserting;
- every output prefix is built from `ExecutionVariables.PIPELINE_EXECUTION_ID`, never from a clock.
Built with SageMaker Python SDK v3 (docs/sdk-v3-upgrade.md); all SDK specifics stay under `pipelines/`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib
import inspect
import io
import json
import tarfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# isort: off
from pipelines.sdk_quiet import DefinitionOnlyBotoSession, offline_sdk  # (must run before the first sagemaker import)

# isort: on
from sagemaker.core import image_uris
from sagemaker.core.config.config_manager import SageMakerConfig
from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
from sagemaker.core.workflow.execution_variables import ExecutionVariables
from sagemaker.core.workflow.functions import Join
from sagemaker.core.workflow.pipeline_context import PipelineSession

from pipelines import s3_uri
from pipelines.config import EnvConfig, load_config
from pipelines.errors import UsageError

SKLEARN_VERSION = "1.2-1"
XGBOOST_VERSION = "3.0-5"
PROCESSING_ROOT = "/opt/ml/processing"
# Given no config, the SDK reads defaults from config files (or an S3 URI named in the environment); given
# this one it reads nothing, and its telemetry (an HTTP request from each job-building call) stays off.
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def _validate_sdk_config_once(validate):
    """The SDK validates the session's config against its JSON schema on every one of the ~80 lookups a build makes
    (a fifth of a second each time): the platform's own config, constant, is validated once; any other every time."""
    validated = []

    def validate_sagemaker_config(sagemaker_config: dict | None = None):
        if sagemaker_config == SDK_CONFIG and validated:
            return None
        result = validate(sagemaker_config)
        if sagemaker_config == SDK_CONFIG:
            validated.append(True)
        return result
    return staticmethod(validate_sagemaker_config)


SageMakerConfig.validate_sagemaker_config = _validate_sdk_config_once(SageMakerConfig.validate_sagemaker_config)


@dataclass(frozen=True)
class CodeAsset:
    """A local script and the content-addressed S3 URI the definition references it by."""

    path: Path
    s3_uri: str
    content: bytes | None = None
    """The bytes to upload when they are built from `path` (a source_dir's archive), not the file itself."""

    @property
    def body(self) -> bytes:
        return self.content if self.content is not None else self.path.read_bytes()

    @property
    def bucket(self) -> str:
        return s3_uri.split(self.s3_uri)[0]

    @property
    def key(self) -> str:
        return s3_uri.split(self.s3_uri)[1]


def code_asset(config: EnvConfig, path: Path, name: str | None = None, content: bytes | None = None) -> CodeAsset:
    body = Path(path).read_bytes() if content is None else content
    digest = hashlib.sha256(body).hexdigest()
    bucket = config.require_workload().data_bucket_name
    return CodeAsset(Path(path), s3_uri.join(bucket, "code", digest, name or Path(path).name), content)


def source_dir_asset(config: EnvConfig, directory: Path, extra: Mapping[str, Path] | None = None) -> CodeAsset:
    """A folder (and the `extra` files, by their names in the archive) as the `sourcedir.tar.gz` a
    FrameworkProcessor unpacks, byte-identical for the same files (sorted names, no owners or times): uploaded
    content-addressed like a script, so the SDK uploads nothing."""
    files = {path.relative_to(directory).as_posix(): path for path in Path(directory).rglob("*")
             if path.is_file() and "__pycache__" not in path.parts}
    files.update(extra or {})
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, \
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = path.stat().st_size, 0o644
            tar.addfile(info, io.BytesIO(path.read_bytes()))
    return code_asset(config, Path(directory), "sourcedir.tar.gz", buffer.getvalue())


class _ThreadDefinitionSessions(threading.local):
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], PipelineSession] = {}


_definition_sessions = _ThreadDefinitionSessions()


def definition_session(config: EnvConfig) -> PipelineSession:
    """A PipelineSession for building definitions only: constructing it and using it makes no call.

    One per thread and (region, bucket), handed out with no step context: constructing one validates the SDK's
    config against its JSON schema, a fifth of a second of CPU, and a build keeps nothing else in it.
    """
    key = (config.aws_region, config.require_workload().data_bucket_name)
    sessions = _definition_sessions.by_key
    if key not in sessions:
        sessions[key] = _new_definition_session(*key)
    session = sessions[key]
    # A build that failed inside a step may leave that step's arguments behind; the next build must not see them.
    session.context = None
    return session


def _new_definition_session(region: str, bucket: str) -> PipelineSession:
    with offline_sdk(region):
        session = PipelineSession(boto_session=DefinitionOnlyBotoSession(region), default_bucket=bucket,
                                  sagemaker_config=SDK_CONFIG)
    # `default_bucket()` would check (and create) the bucket over the network the first time it is asked;
    # every URI in our definitions is explicit, so pin it to make any stray use harmless and offline.
    session._default_bucket = bucket
    return session


@functools.cache
def _image_uri(framework: str, region: str, version: str) -> str:
    # Pure (the SDK's bundled JSON), but each lookup re-reads botocore's endpoint data: look up once.
    return image_uris.retrieve(framework, region, version=version, instance_type="ml.m5.large")


def sklearn_image(config: EnvConfig) -> str:
    return _image_uri("sklearn", config.aws_region, SKLEARN_VERSION)


def xgboost_image(config: EnvConfig) -> str:
    return _image_uri("xgboost", config.aws_region, XGBOOST_VERSION)


def execution_prefix(*parts: str) -> Join:
    """`s3://<parts...>/<execution id>`: a per-execution prefix that keeps the definition free of clocks."""
    return Join(on="/", values=[*parts, ExecutionVariables.PIPELINE_EXECUTION_ID])


def data_uri(config: EnvConfig, *path: str) -> str:
    return "/".join([f"s3://{config.require_workload().data_bucket_name}", *path])


def artifacts_uri(config: EnvConfig, *path: str) -> str:
    """The central artifacts bucket, under this environment's prefix (what registered packages reference)."""
    return "/".join([f"s3://{config.model_registry.artifacts_bucket_name}", config.environment, *path])


def processing_path(*parts: str) -> str:
    return "/".join([PROCESSING_ROOT, *parts])


def processing_input(name: str, source, destination: str) -> ProcessingInput:
    """A processing job's S3 input, copied in whole before the job starts (v2's ProcessingInput defaults)."""
    return ProcessingInput(input_name=name, s3_input=ProcessingS3Input(
        s3_uri=source, local_path=destination, s3_data_type="S3Prefix", s3_input_mode="File",
        s3_data_distribution_type="FullyReplicated", s3_compression_type="None"))


def processing_output(name: str, source: str, destination) -> ProcessingOutput:
    """A processing job's output folder, uploaded to `destination` when the job ends."""
    return ProcessingOutput(output_name=name, s3_output=ProcessingS3Output(
        s3_uri=destination, local_path=source, s3_upload_mode="EndOfJob"))


# --- building a pipeline from its module, as the CLIs do ------------------------------------------------

PIPELINE_MODULES = {"train": "pipelines.train.pipeline", "inference": "pipelines.inference.pipeline"}


@dataclass(frozen=True)
class BuiltPipeline:
    """One pipeline's definition JSON with what upserting it needs."""

    module_name: str
    name: str
    definition: str
    parameter_names: tuple[str, ...]
    code_assets: tuple[CodeAsset, ...]


def parse_kwargs(text: str | None, option: str = "--kwargs") -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{option} is not valid JSON ({error.msg} at column {error.colno}): {text!r}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option} must be a JSON object such as '{{\"role\": \"arn:...\"}}', got {text!r}")
    return value


def pipeline_module(module_name: str):
    """Import a pipeline module: it must define `get_pipeline(**kwargs)` (the AWS sample's convention)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise UsageError(f"unknown pipeline module {module_name!r}: use one of "
                             f"{', '.join(PIPELINE_MODULES.values())}") from None
        raise
    if not callable(getattr(module, "get_pipeline", None)):
        raise UsageError(f"pipeline module {module_name!r} has no get_pipeline(**kwargs) function")
    return module


def build_pipeline(module_name: str, env: str, kwargs: Mapping[str, Any]) -> BuiltPipeline:
    """Call `<module>.get_pipeline(env=..., **kwargs)`; unknown kwargs are a UsageError naming them."""
    module = pipeline_module(module_name)
    accepted = inspect.signature(module.get_pipeline).parameters
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise UsageError(f"unknown kwarg(s) {', '.join(unknown)} for {module_name}.get_pipeline: "
                         f"accepted are {', '.join(accepted)}")
    arguments = {"env": env, **kwargs}
    config = load_config(arguments["env"])
    with offline_sdk(config.aws_region):
        pipeline = module.get_pipeline(**arguments)
    definition = definition_json_for(pipeline)
    assets = getattr(module, "code_assets", lambda _config: [])(config)
    return BuiltPipeline(module_name, pipeline.name, definition,
                         tuple(p.name for p in pipeline.parameters), tuple(assets))


def definition_json_for(pipeline) -> str:
    """The definition JSON of a built `Pipeline`, built offline and without the SDK's notes."""
    with offline_sdk(pipeline.sagemaker_session.boto_region_name):
        return pipeline.definition()
