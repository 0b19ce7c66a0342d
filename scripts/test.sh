#!/usr/bin/env bash
# Stage 'Test': the fast test suite (no terraform applies, no end-to-end runs) with a JUnit report, then the
# static infrastructure checks (terraform fmt and validate of every root, checkov).
# By hand:  scripts/test.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_venv

mkdir -p "$REPORTS_DIR"
PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} --junitxml=$REPORTS_DIR/unit-tests.xml" make --no-print-directory test-fast
"$VENV_BIN/mlops-infra" check
