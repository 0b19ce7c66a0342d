#!/usr/bin/env bash
# Stages 'Deploy endpoints to dev|prod': serve model package version ENDPOINT_MODEL_VERSION on every endpoint of
# ENDPOINT_ENV's environment file, and follow each to InService (a blue/green update the endpoint's alarms roll back
# fails the stage). Single-model endpoints switch to the version; multi-model endpoints are refreshed (they serve
# every Approved version, this one included).
#
# By hand:  ENDPOINT_ENV=dev ENDPOINT_MODEL_VERSION=3 scripts/deploy-endpoints.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_endpoint_params
show_aws_identity

endpoints="$(configured_endpoints)" || fail 2 "cannot read the endpoints of environments/$ENDPOINT_ENV.tfvars.json"
while read -r name mode; do
  [[ -n "$name" ]] || continue
  echo "$SCRIPT_NAME: $ENDPOINT_ENV endpoint $name ($mode): version $ENDPOINT_MODEL_VERSION"
  "$VENV_BIN/deploy-endpoint" --env "$ENDPOINT_ENV" --endpoint "$name" --version "$ENDPOINT_MODEL_VERSION" --wait
done <<< "$endpoints"
