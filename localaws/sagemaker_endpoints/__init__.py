"""Real-time inference in the local stack: what SageMaker hosting does behind CreateEndpoint and InvokeEndpoint.

- `model_archive`: the booster inside a model.tar.gz, as the built-in XGBoost container loads it (shared with
  the batch transform of the executor).
- `xgboost_container`: the built-in XGBoost serving container's answer to one request (content types, status
  codes and messages as its serving code words them).
- `deployments`: an endpoint's fleets and their status over the stack's clock: creation, blue/green updates
  with all-at-once, canary and linear traffic shifting, baking, auto-rollback on CloudWatch alarms.
- `invocations`: InvokeEndpoint: routing to a fleet and a variant, single- and multi-model containers, data
  capture and the AWS/SageMaker metrics.

The moto glue (the AWS actions, the ticker, the reset hook) is `localaws.sagemaker_endpoints.responses`.
Nothing here is imported by client code: clients call the AWS APIs.
"""
