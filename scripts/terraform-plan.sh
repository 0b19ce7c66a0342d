#!/usr/bin/env bash
# Stage 'Terraform plan': a saved plan of environments/<TARGET_ENV>.tfvars.json, applied later exactly as
# reviewed. The plan's text goes to $REPORTS_DIR/terraform-plan.txt; Jenkins archives both.
# Needs credentials in the target account (Jenkins: withAWS cross-account-jenkins-role; local: the local stack).
#
# By hand:  TARGET_ENV=dev PLAN_FILE=build/terraform/dev.tfplan scripts/terraform-plan.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_workload_env
require_env PLAN_FILE "where to save the plan, e.g. build/terraform/$TARGET_ENV.tfplan"
show_aws_identity

plan_file="$(realpath -m "$PLAN_FILE")"
mkdir -p "$(dirname "$plan_file")" "$REPORTS_DIR"
"$VENV_BIN/mlops-infra" plan --env "$TARGET_ENV" --out "$plan_file" 2>&1 | tee "$REPORTS_DIR/terraform-plan.txt"
