"""Packaging for the platform's Python side: the `pipelines` package and its console scripts."""
from setuptools import find_packages, setup

CONSOLE_SCRIPTS = [
    # The local AWS stack (moto with the project's extensions).
    "mlops-local=pipelines.local.cli:main",
    # Terraform for one environment (bootstrap, plan, apply, destroy, check).
    "mlops-infra=pipelines.infra.cli:main",
    # Data, pipelines and the model registry.
    "prepare-data=pipelines.data.cli:main",
    "get-pipeline-definition=pipelines.get_pipeline_definition:main",
    "run-pipeline=pipelines.run_pipeline:main",
    # The pipelines as manifests for the ACK SageMaker controller (and a check of such manifests).
    "export-ack-manifests=pipelines.ack.cli:main",
    "approve-model=pipelines.approve_model:main",
    # Real-time and multi-model endpoints: deploy or roll back a version, invoke (and smoke-test) an endpoint.
    "deploy-endpoint=pipelines.endpoints.deploy:main",
    "invoke-endpoint=pipelines.endpoints.invoke:main",
    # Jenkins' failure notification: publish to an environment's alert topic.
    "mlops-notify=pipelines.notify:main",
    # The offline end-to-end demo.
    "mlops-demo=pipelines.demo.cli:main",
]

setup(
    name="mlops-sagemaker-platform",
    version="0.1.0",
    description="Multi-account MLOps platform for Amazon SageMaker: Terraform, Jenkins, SageMaker Pipelines, runnable offline",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["pipelines", "pipelines.*"]),
    include_package_data=True,
    package_data={"pipelines": ["**/scripts/*.py", "demo/templates/*.j2"]},
    install_requires=[line.strip() for line in open("requirements.txt") if line.strip() and not line.startswith("#")],
    entry_points={"console_scripts": CONSOLE_SCRIPTS},
)
