#!/usr/bin/env bash
# Stage 'Upsert pipelines': uploads the processing code and creates or updates the train and inference
# pipelines in the target account (run-pipeline reports whether each definition changed).
#
# By hand:  TARGET_ENV=dev scripts/upsert-pipelines.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_workload_env
show_aws_identity

"$VENV_BIN/run-pipeline" --env "$TARGET_ENV" --pipeline all
