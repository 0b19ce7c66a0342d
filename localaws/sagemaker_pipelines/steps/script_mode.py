"""Script mode of the framework training images (scikit-learn, XGBoost): the estimator's `entry_point`.

As the SageMaker training toolkit in those images does: the channels under /opt/ml/input/data/<channel>, the
files SageMaker writes under /opt/ml/input/config (hyperparameters.json, inputdataconfig.json,
resourceconfig.json), `sagemaker_submit_directory` (a sourcedir.tar.gz) unpacked into /opt/ml/code, and the
`sagemaker_program` run there with this Python, the user hyperparameters as `--name value` arguments and the
SM_* environment. /opt/ml/model becomes model.tar.gz (model/ with OutputDataConfig.CompressionType NONE) and
/opt/ml/output/data output.tar.gz under <S3OutputPath>/<job name>/output/. Metrics: the MetricDefinitions'
regular expressions over the job's log (the last match of each), as SageMaker reads them from CloudWatch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localaws.sagemaker_pipelines import containers, s3
from localaws.sagemaker_pipelines.archives import deterministic_tar_gz, job_output_prefix, upload_model
from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext
from pipelines import s3_uri

logger = logging.getLogger(__name__)

HOST = "algo-1"
GROUP = "homogeneousCluster"


def decode(value: str) -> Any:
    """Framework estimators JSON-encode every hyperparameter ('"train.py"', '5'); the toolkit decodes them."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def command_arguments(hyperparameters: Mapping[str, Any]) -> list[str]:
    """The user's hyperparameters as the toolkit passes them: sorted `--name value` pairs."""
    arguments = []
    for name, value in sorted(hyperparameters.items()):
        arguments += [f"--{name}", value if isinstance(value, str) else json.dumps(value)]
    return arguments


def run_training_script(context: StepContext, request: Mapping[str, Any], job_name: str
                        ) -> tuple[str, dict[str, float]]:
    """Run the job's entry point; returns (model artifact URI, final metrics)."""
    raw = dict(request.get("HyperParameters") or {})
    decoded = {name: decode(value) for name, value in raw.items()}
    user = {name: value for name, value in decoded.items() if not name.startswith("sagemaker_")}
    program = decoded["sagemaker_program"]
    if not isinstance(program, str) or not program.endswith(".py"):
        raise StepFailed(f"ClientError: sagemaker_program {program!r}: the local executor runs Python entry points")
    paths = containers.ContainerPaths(context.work_dir / "container")
    s3_client = context.client("s3")
    channels = request.get("InputDataConfig") or []
    for channel in channels:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        if not source:
            raise StepFailed(f"ClientError: channel {channel.get('ChannelName')!r}: only S3DataSource is emulated")
        s3.download_prefix(s3_client, source["S3Uri"], paths.local(f"/opt/ml/input/data/{channel['ChannelName']}"))
    instance_type = (request.get("ResourceConfig") or {}).get("InstanceType", "ml.m5.xlarge")
    input_config = {channel["ChannelName"]: {
        key: value for key, value in {
            "ContentType": channel.get("ContentType"),
            "TrainingInputMode": channel.get("InputMode") or (request.get("AlgorithmSpecification") or {}).get(
                "TrainingInputMode", "File"),
            "S3DistributionType": ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get(
                "S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": channel.get("RecordWrapperType", "None"),
        }.items() if value is not None} for channel in channels}
    resource_config = {"current_host": HOST, "current_instance_type": instance_type, "current_group_name": GROUP,
                       "hosts": [HOST], "network_interface_name": "eth0",
                       "instance_groups": [{"instance_group_name": GROUP, "instance_type": instance_type,
                                            "hosts": [HOST]}]}
    paths.write_json("/opt/ml/input/config/hyperparameters.json", raw)
    paths.write_json("/opt/ml/input/config/inputdataconfig.json", input_config)
    paths.write_json("/opt/ml/input/config/resourceconfig.json", resource_config)
    submit_directory = decoded.get("sagemaker_submit_directory")
    _unpack_code(s3_client, submit_directory, program, paths.local("/opt/ml/code"))
    for folder in ("/opt/ml/model", "/opt/ml/output/data", "/opt/ml/output/intermediate"):
        paths.local(folder).mkdir(parents=True, exist_ok=True)
    environment = {
        **(request.get("Environment") or {}),
        **sm_environment(user, input_config, resource_config, program, submit_directory,
                         channels=[channel["ChannelName"] for channel in channels],
                         log_level=decoded.get("sagemaker_container_log_level", 20)),
    }
    max_runtime = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    completed = containers.run_script(["python3", f"/opt/ml/code/{program}"], command_arguments(user), environment,
                                      paths, context.work_dir, context.stop, working_directory="/opt/ml/code",
                                      max_runtime=max_runtime, what="training job",
                                      on_output=lambda output: containers.write_job_log(
                                          context.client, "TrainingJobs", job_name, output.splitlines()))
    definitions = (request.get("AlgorithmSpecification") or {}).get("MetricDefinitions") or []
    metrics = read_metrics(definitions, completed.stdout + "\n" + completed.stderr)
    output = request.get("OutputDataConfig") or {}
    model_uri = upload_model(s3_client, paths.local("/opt/ml/model"), output, job_name, context.work_dir)
    _upload_output_data(s3_client, paths.local("/opt/ml/output/data"),
                        f"{job_output_prefix(output, job_name)}/output.tar.gz",
                        output.get("KmsKeyId"), context.work_dir / "output.tar.gz")
    return model_uri, metrics


def sm_environment(user: Mapping[str, Any], input_config: Mapping[str, Any], resource_config: Mapping[str, Any],
                   program: str, submit_directory: str | None, channels: list[str], log_level: Any) -> dict[str, str]:
    """The SM_* variables the training toolkit gives the entry point."""
    arguments = command_arguments(user)
    environment = {
        "SM_MODEL_DIR": "/opt/ml/model", "SM_INPUT_DIR": "/opt/ml/input", "SM_INPUT_CONFIG_DIR": "/opt/ml/input/config",
        "SM_OUTPUT_DIR": "/opt/ml/output", "SM_OUTPUT_DATA_DIR": "/opt/ml/output/data",
        "SM_OUTPUT_INTERMEDIATE_DIR": "/opt/ml/output/intermediate",
        "SM_CHANNELS": json.dumps(sorted(channels)), "SM_HPS": json.dumps(dict(user)),
        "SM_HOSTS": json.dumps(resource_config["hosts"]), "SM_CURRENT_HOST": resource_config["current_host"],
        "SM_CURRENT_INSTANCE_TYPE": resource_config["current_instance_type"],
        "SM_NETWORK_INTERFACE_NAME": resource_config["network_interface_name"],
        "SM_NUM_CPUS": str(os.cpu_count() or 1), "SM_NUM_GPUS": "0",
        "SM_USER_ENTRY_POINT": program, "SM_MODULE_NAME": program.removesuffix(".py"),
        "SM_MODULE_DIR": submit_directory or "", "SM_USER_ARGS": json.dumps(arguments),
        "SM_LOG_LEVEL": str(log_level), "SM_FRAMEWORK_PARAMS": "{}",
        "SM_INPUT_DATA_CONFIG": json.dumps(input_config), "SM_RESOURCE_CONFIG": json.dumps(resource_config),
    }
    for channel in channels:
        environment[f"SM_CHANNEL_{channel.upper()}"] = f"/opt/ml/input/data/{channel}"
    for name, value in user.items():
        environment[f"SM_HP_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    environment["SM_TRAINING_ENV"] = json.dumps({
        "channel_input_dirs": {channel: f"/opt/ml/input/data/{channel}" for channel in channels},
        "current_host": resource_config["current_host"], "hosts": resource_config["hosts"],
        "hyperparameters": dict(user), "input_data_config": input_config, "model_dir": "/opt/ml/model",
        "module_dir": submit_directory or "", "module_name": program.removesuffix(".py"),
        "output_data_dir": "/opt/ml/output/data", "resource_config": resource_config,
        "user_entry_point": program})
    return environment


def _unpack_code(s3_client, submit_directory: Any, program: str, code_dir: Path) -> None:
    if not s3_uri.is_s3_uri(submit_directory):
        raise StepFailed(f"ClientError: sagemaker_submit_directory {submit_directory!r}: the local executor needs "
                         "the estimator's code in S3 (a sourcedir.tar.gz)")
    archive = code_dir.parent / "sourcedir.tar.gz"
    code_dir.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(s3.read_bytes(s3_client, submit_directory))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(code_dir, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise StepFailed(f"ClientError: {submit_directory} is not a readable tar.gz of the code: {error}") from None
    finally:
        archive.unlink()
    if not (code_dir / program).is_file():
        raise StepFailed(f"ClientError: the entry point {program!r} is not in {submit_directory}")


def read_metrics(definitions: list[Mapping[str, str]], log: str) -> dict[str, float]:
    """Each metric's last value in the log, found by its definition's regular expression."""
    metrics = {}
    for definition in definitions:
        try:
            pattern = re.compile(definition["Regex"])
        except re.error as error:
            raise StepFailed(f"ClientError: MetricDefinitions {definition.get('Name')!r}: bad Regex: {error}") from None
        values = [match.group(1) for match in pattern.finditer(log)]
        for value in reversed(values):
            try:
                metrics[definition["Name"]] = float(value)
                break
            except (TypeError, ValueError):
                continue
    return metrics


def _upload_output_data(s3_client, folder: Path, uri: str, kms_key: str | None, archive: Path) -> None:
    """/opt/ml/output/data as output.tar.gz, when the script wrote anything there."""
    members = {str(path.relative_to(folder)): path for path in sorted(folder.rglob("*")) if path.is_file()}
    if members:
        archive.write_bytes(deterministic_tar_gz(members))
        s3.upload_file(s3_client, archive, uri, kms_key)
