#!/usr/bin/env bash
# Stage 'Read config': rejects the build before anything runs when its parameters do not fit the configuration.
# targetAccount must be 12 digits AND equal TARGET_ENV's account in environments/<TARGET_ENV>.tfvars.json (a typed
# confirmation of where this build deploys); the environment files must load and agree with each other.
#
# By hand:  TARGET_ENV=staging TERRAFORM_ACTION=plan TARGET_ACCOUNT=444444444444 scripts/check-build-params.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

require_workload_env
require_env TERRAFORM_ACTION "plan or apply"
require_choice TERRAFORM_ACTION plan apply
require_env TARGET_ACCOUNT "the build parameter targetAccount: the AWS account id of TARGET_ENV (12 digits)"
[[ "$TARGET_ACCOUNT" =~ ^[0-9]{12}$ ]] \
  || fail 2 "targetAccount '$TARGET_ACCOUNT' is not an AWS account id: enter exactly 12 digits"
# Optional: the model version the endpoint stages promote (its number; empty: no endpoint stage runs).
[[ -z "${ENDPOINT_MODEL_VERSION:-}" || "$ENDPOINT_MODEL_VERSION" =~ ^[1-9][0-9]*$ ]] \
  || fail 2 "ENDPOINT_MODEL_VERSION '$ENDPOINT_MODEL_VERSION' is not a model package version: enter its number, or leave it empty to keep the endpoints as they are"

# The installed virtualenv does not exist yet in this first stage: the configuration loader needs only the
# standard library, so any python3 reads the files through it.
PYTHON="${PYTHON:-python3}"
configured_account="$(PYTHONPATH="$REPO_ROOT" "$PYTHON" - "$TARGET_ENV" <<'PY'
import sys

from pipelines.config import load_config, workload_environments
from pipelines.errors import ConfigError

try:
    # Every workload file and the promotion: the endpoint promotion walks all of them.
    workload_environments()
    print(load_config(sys.argv[1]).account_id)
except ConfigError as error:
    sys.exit(f"check-build-params.sh: error: {error}")
PY
)"
environment_file="${MLOPS_ENVIRONMENTS_DIR:-environments}/$TARGET_ENV.tfvars.json"
[[ "$TARGET_ACCOUNT" == "$configured_account" ]] \
  || fail 2 "targetAccount '$TARGET_ACCOUNT' does not match accounts.$TARGET_ENV '$configured_account' in $environment_file: enter the account of that file (or correct the file if $TARGET_ENV really moved)"

echo "$SCRIPT_NAME: $TARGET_ENV build ($TERRAFORM_ACTION) with targetAccount $TARGET_ACCOUNT confirmed by $environment_file"
