"""Processing steps: inputs from S3, the container emulated by its image family, outputs back to S3."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localaws.sagemaker_pipelines import containers, s3
from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.base import StepContext, StepHandler, StepResult
from localaws.sagemaker_pipelines.store import now
from pipelines.pipeline_definition.images import MODEL_MONITOR, PROCESSING_FAMILIES

logger = logging.getLogger(__name__)

# requirements.txt contents pip found satisfied by this Python: checked once per server (a failure is checked
# again, so installing the missing package is enough).
_SATISFIED_REQUIREMENTS: set[str] = set()


class ProcessingJob:
    """One emulated processing job: the request (resolved arguments) and its Describe-shaped properties."""

    def __init__(self, context: StepContext, request: Mapping[str, Any]):
        self.context, self.request = context, request
        self.name = context.job_name
        self.arn = context.arn("sagemaker", f"processing-job/{self.name.lower()}")
        self.paths = containers.ContainerPaths(context.work_dir / "container")
        self.started = now()
        self.s3 = context.client("s3")
        self.pip_offline = False

    def stage_inputs(self) -> None:
        for entry in self.request.get("ProcessingInputs") or []:
            source = entry.get("S3Input")
            if source is None:
                raise StepFailed(f"ClientError: input {entry.get('InputName')!r}: only S3Input is emulated locally")
            if source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise StepFailed(f"ClientError: input {entry.get('InputName')!r}: S3DataType "
                                 f"{source['S3DataType']} is not emulated locally (use S3Prefix)")
            local_dir = self.paths.local(source["LocalPath"])
            files = s3.download_prefix(self.s3, source["S3Uri"], local_dir)
            logger.debug("input %s: %d file(s) from %s", entry.get("InputName"), len(files), source["S3Uri"])
        for output in self.outputs():
            self.paths.local(output["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        self.verify_requirements()
        self.write_config()

    def verify_requirements(self) -> None:
        """A FrameworkProcessor's source_dir may hold requirements.txt, which its runproc.sh pip-installs. Here
        the job runs on the stack's own Python, where the executor installs nothing: pip itself checks the
        requirements against that Python (--dry-run --no-index: no download, no change) and the step fails
        naming them if one is not satisfied. The job then runs with PIP_NO_INDEX, so runproc.sh's own
        `pip install -r requirements.txt` finds everything installed and changes nothing."""
        for archive in self.paths.opt_ml.rglob("sourcedir.tar.gz"):
            try:
                with tarfile.open(archive) as tar:
                    member = next((m for m in tar.getmembers()
                                   if Path(m.name).as_posix().removeprefix("./") == "requirements.txt"), None)
                    requirements = tar.extractfile(member).read() if member is not None and member.isfile() else None
            except tarfile.TarError as error:
                raise StepFailed(f"ClientError: {archive.name} is not a readable tar.gz: {error}") from None
            if requirements is None:
                continue
            digest = hashlib.sha256(requirements).hexdigest()
            if digest not in _SATISFIED_REQUIREMENTS:
                self.check_requirements(requirements)
                _SATISFIED_REQUIREMENTS.add(digest)
            self.pip_offline = True

    def check_requirements(self, requirements: bytes) -> None:
        listed = self.context.work_dir / "requirements.txt"
        listed.write_bytes(requirements)
        check = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                                "--disable-pip-version-check", "--quiet", "-r", str(listed)],
                               capture_output=True, text=True, env={**os.environ, "PIP_NO_INDEX": "1"})
        if check.returncode != 0:
            wanted = ", ".join(line.strip() for line in requirements.decode(errors="replace").splitlines()
                               if line.strip() and not line.lstrip().startswith("#"))
            problem = next((line.strip() for line in check.stderr.splitlines() if line.startswith("ERROR")),
                           check.stderr.strip()[-300:])
            raise StepFailed(f"ClientError: the source_dir's requirements.txt ({wanted}) is not satisfied by the "
                             f"local stack's Python, and the local executor installs nothing for a job: "
                             f"{problem}; install the requirement into the stack's environment "
                             "(requirements.txt and constraints.txt of the project)")

    def write_config(self) -> None:
        """The files SageMaker Processing puts into every container: the job's request and the cluster."""
        self.paths.write_json("/opt/ml/config/processingjobconfig.json", {
            key: value for key, value in {
                "ProcessingJobArn": self.arn, "ProcessingJobName": self.name,
                "AppSpecification": self.request.get("AppSpecification"),
                "Environment": self.request.get("Environment"),
                "NetworkConfig": self.request.get("NetworkConfig"),
                "ProcessingInputs": self.request.get("ProcessingInputs"),
                "ProcessingOutputConfig": self.request.get("ProcessingOutputConfig"),
                "ProcessingResources": self.request.get("ProcessingResources"),
                "RoleArn": self.request.get("RoleArn"),
                "StoppingCondition": self.request.get("StoppingCondition"),
            }.items() if value is not None})
        count = int(((self.request.get("ProcessingResources") or {}).get("ClusterConfig") or {})
                    .get("InstanceCount", 1))
        # Only the first host runs here; the others are listed as a multi-instance job lists them.
        self.paths.write_json("/opt/ml/config/resourceconfig.json",
                              {"current_host": "algo-1", "hosts": [f"algo-{i}" for i in range(1, count + 1)]})

    def outputs(self) -> list[Mapping[str, Any]]:
        return list((self.request.get("ProcessingOutputConfig") or {}).get("Outputs") or [])

    def upload_outputs(self) -> None:
        kms_key = (self.request.get("ProcessingOutputConfig") or {}).get("KmsKeyId")
        for output in self.outputs():
            target = output["S3Output"]
            written = s3.upload_dir(self.s3, self.paths.local(target["LocalPath"]), target["S3Uri"], kms_key)
            logger.debug("output %s: %d file(s) to %s", output.get("OutputName"), len(written), target["S3Uri"])

    def describe(self, status: str, failure_reason: str | None = None) -> dict[str, Any]:
        """The DescribeProcessingJob response of this job."""
        description = {
            **self.request,
            "ProcessingJobName": self.name,
            "ProcessingJobArn": self.arn,
            "ProcessingJobStatus": status,
            "CreationTime": self.started,
            "ProcessingStartTime": self.started,
            "ProcessingEndTime": now(),
            "LastModifiedTime": now(),
        }
        if failure_reason:
            description["FailureReason"] = failure_reason
            description["ExitMessage"] = failure_reason
        return description

    def metadata(self) -> dict[str, Any]:
        return {"ProcessingJob": {"Arn": self.arn}}

    def failed(self, failure: StepFailed) -> StepFailed:
        return StepFailed(failure.reason, self.describe("Failed", failure.reason), self.metadata())


class ProcessingHandler(StepHandler):
    step_type = "Processing"

    def run(self, context: StepContext) -> StepResult:
        request = context.arguments
        job = ProcessingJob(context, request)
        try:
            app = request.get("AppSpecification") or {}
            family = containers.require_family(app.get("ImageUri"), PROCESSING_FAMILIES, "a processing job")
            job.stage_inputs()
            context.raise_if_stopped()
            if family == MODEL_MONITOR:
                run_analyzer(job, request.get("Environment") or {})
            else:
                max_runtime = (request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
                environment = {**context.role_environment(), **(request.get("Environment") or {})}
                if job.pip_offline:
                    environment.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
                completed = containers.run_script(app.get("ContainerEntrypoint") or [],
                                                  app.get("ContainerArguments") or [],
                                                  environment, job.paths, context.work_dir,
                                                  context.stop, max_runtime=max_runtime,
                                                  on_output=lambda output: containers.write_job_log(
                                                      context.client, "ProcessingJobs", job.name,
                                                      output.splitlines()))
                logger.debug("%s stdout:\n%s", context.node.name, completed.stdout)
            context.raise_if_stopped()
            job.upload_outputs()
        except StepFailed as failure:
            raise job.failed(failure) from None
        return StepResult(job.describe("Completed"), job.metadata())


def run_analyzer(job: ProcessingJob, environment: Mapping[str, str]):
    """The analyzer reads `dataset_source` and writes to `output_path` (its documented container contract)."""
    for variable in ("dataset_source", "output_path"):
        if variable not in environment:
            raise StepFailed(f"ClientError: the model-monitor analyzer needs the environment variable {variable!r}")
    local_environment = {key: job.paths.remap(str(value)) for key, value in environment.items()}
    output_dir = Path(local_environment["output_path"])
    output_dir.mkdir(parents=True, exist_ok=True)
    return containers.run_data_quality_analyzer(local_environment, Path(local_environment["dataset_source"]),
                                                output_dir)
