#!/usr/bin/env bash
# Stage 'Read config': rejects the build before anything runs when its parameters do not fit the configuration.
# prodAccount must be 12 digits AND equal accounts.prod in environments/<TARGET_ENV>.tfvars.json (a typed
# confirmation of the production account); the environment file must load and validate.
#
# By hand:  TARGET_ENV=prod TERRAFORM_ACTION=plan PROD_ACCOUNT=333333333333 scripts/check-build-params.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

require_workload_env
require_env TERRAFORM_ACTION "plan or apply"
require_choice TERRAFORM_ACTION plan apply
require_env PROD_ACCOUNT "the build parameter prodAccount: the production AWS account id (12 digits)"
[[ "$PROD_ACCOUNT" =~ ^[0-9]{12}$ ]] \
  || fail 2 "prodAccount '$PROD_ACCOUNT' is not an AWS account id: enter exactly 12 digits"
# Optional: the model version the endpoint stages promote (its number; empty: no endpoint stage runs).
[[ -z "${ENDPOINT_MODEL_VERSION:-}" || "$ENDPOINT_MODEL_VERSION" =~ ^[1-9][0-9]*$ ]] \
  || fail 2 "ENDPOINT_MODEL_VERSION '$ENDPOINT_MODEL_VERSION' is not a model package version: enter its number, or leave it empty to keep the endpoints as they are"

# The installed virtualenv does not exist yet in this first stage: the configuration loader needs only the
# standard library, so any python3 reads the file through it.
PYTHON="${PYTHON:-python3}"
configured_prod_account="$(PYTHONPATH="$REPO_ROOT" "$PYTHON" - "$TARGET_ENV" <<'PY'
import sys

from pipelines.config import load_config
from pipelines.errors import ConfigError

try:
    load_config(sys.argv[1]).require_workload()
    print(load_config("prod").account_id)
except ConfigError as error:
    sys.exit(f"check-build-params.sh: error: {error}")
PY
)"
environment_file="${MLOPS_ENVIRONMENTS_DIR:-environments}/prod.tfvars.json"
[[ "$PROD_ACCOUNT" == "$configured_prod_account" ]] \
  || fail 2 "prodAccount '$PROD_ACCOUNT' does not match accounts.prod '$configured_prod_account' in $environment_file: enter the production account of that file (or correct the file if prod really moved)"

echo "$SCRIPT_NAME: $TARGET_ENV build ($TERRAFORM_ACTION) with prodAccount $PROD_ACCOUNT confirmed by $environment_file"
