"""Packaging of the platform's Python side.

`pip install .` is what production needs (`pipelines`: definitions, the commands Jenkins and users run against
AWS). `pip install .[local]` adds the local AWS stack (`localaws`) and the offline demo (`mlops_demo`) with their
dependencies; `mlops-local` and `mlops-demo` say so when the extra is missing.
"""
from setuptools import find_packages, setup

CONSOLE_SCRIPTS = [
    # The local AWS stack (moto with the project's extensions).
    "mlops-local=localaws.cli:main",
    # Terraform for one environment (bootstrap, plan, apply, destroy, check).
    "mlops-infra=pipelines.cli.mlops_infra:main",
    # Data, pipelines and the model registry.
    "prepare-data=pipelines.cli.prepare_data:main",
    "get-pipeline-definition=pipelines.cli.get_pipeline_definition:main",
    "run-pipeline=pipelines.cli.run_pipeline:main",
    # The pipelines as manifests for the ACK SageMaker controller (and a check of such manifests).
    "export-ack-manifests=pipelines.cli.export_ack_manifests:main",
    "approve-model=pipelines.cli.approve_model:main",
    # Real-time and multi-model endpoints: deploy or roll back a version, invoke (and smoke-test) an endpoint.
    "deploy-endpoint=pipelines.cli.deploy_endpoint:main",
    "invoke-endpoint=pipelines.cli.invoke_endpoint:main",
    # Jenkins' failure notification: publish to an environment's alert topic.
    "mlops-notify=pipelines.cli.mlops_notify:main",
    # The offline end-to-end demo.
    "mlops-demo=mlops_demo.cli:main",
]



def requirements(path: str) -> list[str]:
    with open(path) as lines:
        return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


setup(
    name="mlops-sagemaker-platform",
    version="0.1.0",
    description="Multi-account MLOps platform for Amazon SageMaker: Terraform, Jenkins, SageMaker Pipelines, runnable offline",
    python_requires=">=3.11,<3.12",
    packages=find_packages(include=["pipelines", "pipelines.*", "localaws", "localaws.*", "mlops_demo", "mlops_demo.*"]),
    include_package_data=True,
    package_data={"pipelines": ["**/scripts/*.py"], "mlops_demo": ["templates/*.j2"],
                  "localaws": ["console/templates/*.j2", "console/static/*", "rendering/templates/*.j2", "rendering/static/*"]},
    install_requires=requirements("requirements.txt"),
    extras_require={"local": requirements("requirements-local.txt")},
    entry_points={"console_scripts": CONSOLE_SCRIPTS},
)
