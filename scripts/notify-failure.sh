#!/usr/bin/env bash
# post { failure }: publishes "the build failed" to the alert topic of the target account, whose e-mail
# subscription reaches the team. JOB_NAME, BUILD_NUMBER and BUILD_URL are set by Jenkins.
#
# By hand:  TARGET_ENV=dev scripts/notify-failure.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv
require_workload_env
show_aws_identity

build="${JOB_NAME:-a build run by hand} #${BUILD_NUMBER:-0}"
console_log="${BUILD_URL:+${BUILD_URL}console}"
"$VENV_BIN/mlops-notify" --env "$TARGET_ENV" \
  --subject "Jenkins: $build failed ($TARGET_ENV)" \
  --message "Jenkins build $build failed while deploying $TARGET_ENV (Terraform action: ${TERRAFORM_ACTION:-unknown}).
Console log: ${console_log:-not available}"
