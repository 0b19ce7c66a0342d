"""Pipelines written the way the public SageMaker examples write them, as SDK v2 printed them (fixtures/v2/).

The abalone example's shape: an SKLearnProcessor preprocessing script with every path hard-coded under
/opt/ml/processing, the built-in XGBoost algorithm of an older image (1.0-1), a ScriptProcessor evaluation on
that image loading the model with joblib and a PropertyFile read by a JsonGet condition, then RegisterModel.
The definitions were built with SDK v2 (2.257.7) before the project moved to v3, which cannot be installed beside
it (fixtures/v2/README.md); they reference what `upload_inputs` uploads, at fixed URIs.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import boto3
import numpy as np
from support.roles import allow, bucket_arn, create_role, pass_role, trust_policy

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default, where the fake keys act: the examples live outside the environments
ROLE = f"arn:aws:iam::{ACCOUNT}:role/fidelity-corpus"
BUCKET = "fidelity-corpus"
GROUP = "AbaloneModelPackageGroup"
SCRIPTS = Path(__file__).with_name("scripts")
V2_FIXTURES = Path(__file__).with_name("fixtures") / "v2"
# What the v2 SDK uploaded while building the FrameworkProcessor pipeline, at the keys its definition names.
FRAMEWORK_CODE = "FrameworkProcessorPipeline/code"


def bucket_and_logs(bucket: str, role: str) -> list[dict]:
    """What a pipeline's jobs do as their role besides their SageMaker calls: read and write the bucket, write
    their logs, pass the role on."""
    return [
        allow("s3:ListBucket", bucket_arn(bucket)),
        allow(["s3:GetObject", "s3:PutObject"], f"{bucket_arn(bucket)}/*"),
        allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/*",
               f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/*:log-stream:*"]),
        pass_role(role),
    ]


# What the examples' steps do as their role: jobs and models, the bucket, the group's versions.
SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
ROLE_STATEMENTS = [
    allow(["sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob", "sagemaker:CreateTransformJob",
           "sagemaker:CreateModel", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeTrainingJob",
           "sagemaker:DescribeTransformJob", "sagemaker:DescribeModel", "sagemaker:AddTags"],
          [f"{SAGEMAKER}:{kind}/*" for kind in ("processing-job", "training-job", "transform-job", "model")]),
    allow(["sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"],
          [f"{SAGEMAKER}:model-package-group/{GROUP}", f"{SAGEMAKER}:model-package/{GROUP.lower()}/*"]),
    *bucket_and_logs(BUCKET, ROLE),
]
MSE_THRESHOLD = 6.0


def abalone_like_csv(rows: int = 400) -> bytes:
    """Rings (the label) first, then 7 measurements; no header, as the abalone data set is stored."""
    rng = np.random.default_rng(42)
    features = rng.uniform(0.1, 1.0, size=(rows, 7))
    rings = np.round(3 + 10 * features[:, 0] + 4 * features[:, 3] + rng.normal(0, 0.5, rows))
    return "\n".join(",".join(f"{value:.4f}" for value in row)
                     for row in np.column_stack([rings, features])).encode() + b"\n"


def source_tar(folder: Path) -> bytes:
    """The sourcedir.tar.gz the SDK uploads for an estimator's source_dir."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(folder.glob("*.py")):
            archive.add(path, arcname=path.name)
    return buffer.getvalue()


def upload_inputs(endpoint: str) -> None:
    """The data set, scripts and source bundles at the URIs the definitions name; the group; the role."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="abalone/abalone-dataset.csv", Body=abalone_like_csv())
    for script in ("preprocess.py", "evaluate.py"):
        s3.put_object(Bucket=BUCKET, Key=f"code/{script}", Body=(SCRIPTS / script).read_bytes())
    for source in ("xgboost_source", "sklearn_source"):
        s3.put_object(Bucket=BUCKET, Key=f"code/{source}/sourcedir.tar.gz", Body=source_tar(SCRIPTS / source))
    boto3.client("sagemaker", endpoint_url=endpoint, region_name=REGION).create_model_package_group(
        ModelPackageGroupName=GROUP)
    create_role(boto3.client("iam", endpoint_url=endpoint, region_name=REGION), ROLE.rsplit("/", 1)[1],
                trust_policy("sagemaker.amazonaws.com"), ROLE_STATEMENTS)


def v2_definition(name: str) -> str:
    """The definition SDK v2 printed for the example `name` (a file of fixtures/v2/)."""
    return (V2_FIXTURES / f"{name}.json").read_text()


def upload_framework_code(endpoint: str) -> None:
    """The FrameworkProcessor's sourcedir.tar.gz and runproc.sh, where the v2 SDK uploaded them while building."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    for key in ("4906b65159f7f3cbcbc5dc8875531dc18f5835731d483e925ea7e49015f65b11/sourcedir.tar.gz",
                "9feb945beb7a1b28ef16da6d78251386f98b76470a02583eb855a00d1d0b3b31/runproc.sh"):
        s3.put_object(Bucket=BUCKET, Key=f"{FRAMEWORK_CODE}/{key}",
                      Body=(V2_FIXTURES / "framework_processor" / key.rsplit("/", 1)[1]).read_bytes())
