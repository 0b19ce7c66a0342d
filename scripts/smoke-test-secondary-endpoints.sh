#!/usr/bin/env bash
# Stage 'Smoke test secondary-region endpoints': invoke every endpoint of secondary_region.endpoints in
# ENDPOINT_ENV's secondary region with the known payload and check the answer, as the primary's smoke test does.
#
# By hand:  ENDPOINT_ENV=prod ENDPOINT_MODEL_VERSION=3 scripts/smoke-test-secondary-endpoints.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_endpoint_params
lines="$(secondary_endpoints)" || fail 2 "cannot read the secondary region of environments/$ENDPOINT_ENV.tfvars.json"
show_aws_identity
region="$(head -n 1 <<< "$lines")"
while read -r name; do
  [[ -n "$name" ]] || continue
  "$VENV_BIN/invoke-endpoint" --env "$ENDPOINT_ENV" --endpoint "$name" --smoke --region "$region"
done <<< "$(tail -n +2 <<< "$lines")"
