#!/usr/bin/env bash
# Stage 'Terraform apply': applies the plan saved by scripts/terraform-plan.sh, and nothing else: what was
# reviewed (and, for prod, approved) is what changes.
#
# By hand:  TARGET_ENV=dev PLAN_FILE=build/terraform/dev.tfplan scripts/terraform-apply.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_workload_env
require_env PLAN_FILE "the plan saved by scripts/terraform-plan.sh"

plan_file="$(realpath -m "$PLAN_FILE")"
[[ -f "$plan_file" ]] || fail 2 "no saved plan at $PLAN_FILE: run scripts/terraform-plan.sh first"
show_aws_identity
"$VENV_BIN/mlops-infra" apply --env "$TARGET_ENV" --plan "$plan_file"
