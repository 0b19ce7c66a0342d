"""Pipelines as Kubernetes manifests for the ACK SageMaker controller: CRD schemas, export and checks.

- `schema`: the `Pipeline` and `PipelineExecution` CRDs, generated from botocore's SageMaker model with the
  controller's naming rules (the files users `kubectl apply` are in `ack/crds/`);
- `manifests`: manifests built from the same pure definitions `get-pipeline-definition` prints;
- `check`: strict validation of manifests (schema, line numbers, the embedded definition);
- `cli`: `export-ack-manifests`.
"""
