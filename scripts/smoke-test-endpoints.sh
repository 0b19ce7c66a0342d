#!/usr/bin/env bash
# Stages 'Smoke test dev|prod endpoints': invoke every endpoint of ENDPOINT_ENV with a known payload and check the
# answer (one probability per row, the malignant-looking mass scored higher); multi-model endpoints are invoked
# with the TargetModel of ENDPOINT_MODEL_VERSION. A wrong or missing answer fails the stage, and the build.
#
# By hand:  ENDPOINT_ENV=dev ENDPOINT_MODEL_VERSION=3 scripts/smoke-test-endpoints.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_endpoint_params
show_aws_identity

endpoints="$(configured_endpoints)" || fail 2 "cannot read the endpoints of environments/$ENDPOINT_ENV.tfvars.json"
while read -r name mode; do
  [[ -n "$name" ]] || continue
  version=()
  [[ "$mode" == multi-model ]] && version=(--version "$ENDPOINT_MODEL_VERSION")
  "$VENV_BIN/invoke-endpoint" --env "$ENDPOINT_ENV" --endpoint "$name" --smoke "${version[@]}"
done <<< "$endpoints"
