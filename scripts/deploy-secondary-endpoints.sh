#!/usr/bin/env bash
# Stage 'Deploy endpoints to the secondary region': serve model package version ENDPOINT_MODEL_VERSION on the
# endpoints of secondary_region.endpoints in ENDPOINT_ENV's secondary region, from the version's artifact replica
# there, and follow each to InService. A replica that is missing or older than the primary's artifact fails the
# stage (exit 2) before anything is created.
#
# By hand:  ENDPOINT_ENV=prod ENDPOINT_MODEL_VERSION=3 scripts/deploy-secondary-endpoints.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_endpoint_params
lines="$(secondary_endpoints)" || fail 2 "cannot read the secondary region of environments/$ENDPOINT_ENV.tfvars.json"
show_aws_identity
region="$(head -n 1 <<< "$lines")"
while read -r name; do
  [[ -n "$name" ]] || continue
  echo "$SCRIPT_NAME: $ENDPOINT_ENV endpoint $name in $region: version $ENDPOINT_MODEL_VERSION"
  "$VENV_BIN/deploy-endpoint" --env "$ENDPOINT_ENV" --endpoint "$name" --version "$ENDPOINT_MODEL_VERSION" \
    --region secondary --wait
done <<< "$(tail -n +2 <<< "$lines")"
