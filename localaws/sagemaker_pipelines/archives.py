"""The model artifacts that training jobs write: model.tar.gz, whose bytes depend only on what it holds (so reruns
compare equal), or the model folder as it is when OutputDataConfig.CompressionType is NONE."""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localaws.sagemaker_pipelines import s3
from localaws.sagemaker_pipelines.errors import StepFailed

COMPRESSION_TYPES = ("GZIP", "NONE")
"""OutputDataConfig.CompressionType's values (GZIP when it is absent)."""


def deterministic_tar_gz(members: dict[str, Path | bytes]) -> bytes:
    """A tar.gz whose bytes depend only on the members' names and contents (no times, owners); a member is a
    file or its bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, content in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.mode = 0o644
            if isinstance(content, bytes):
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
                continue
            info.size = content.stat().st_size
            with content.open("rb") as stream:
                archive.addfile(info, stream)
    return gzip.compress(buffer.getvalue(), mtime=0)


def output_compression(output: Mapping[str, Any]) -> str:
    """The job's OutputDataConfig.CompressionType; a value CreateTrainingJob refuses fails the job as it does."""
    compression = output.get("CompressionType", "GZIP")
    if compression not in COMPRESSION_TYPES:
        raise StepFailed(f"ClientError: 1 validation error detected: Value '{compression}' at "
                         "'outputDataConfig.compressionType' failed to satisfy constraint: Member must satisfy enum "
                         f"value set: [{', '.join(COMPRESSION_TYPES)}]")
    return compression


def job_output_prefix(output: Mapping[str, Any], job_name: str) -> str:
    """<S3OutputPath>/<job>/output: where a training job writes its model and output data."""
    return f"{output['S3OutputPath'].rstrip('/')}/{job_name}/output"


def upload_model(client, folder: Path, output: Mapping[str, Any], job_name: str, work_dir: Path) -> str:
    """The files of the job's /opt/ml/model (`folder`) to <S3OutputPath>/<job>/output/: model.tar.gz, or each
    file under model/ when the compression type is NONE; the job's S3ModelArtifacts (the archive, or that
    prefix, which the SDK reads as an uncompressed S3Prefix model)."""
    compression = output_compression(output)
    prefix = job_output_prefix(output, job_name)
    if compression == "NONE":
        s3.upload_dir(client, folder, f"{prefix}/model", output.get("KmsKeyId"))
        return f"{prefix}/model/"
    members = {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if path.is_file()}
    archive = work_dir / "model.tar.gz"
    archive.write_bytes(deterministic_tar_gz(members))
    s3.upload_file(client, archive, f"{prefix}/model.tar.gz", output.get("KmsKeyId"))
    return f"{prefix}/model.tar.gz"
