# Sourced by every stage script in scripts/ (which set `set -euo pipefail` themselves).
# Runs from the repository root, so the relative paths Jenkins passes (PLAN_FILE, REPORTS_DIR) mean the same
# whether the script runs in a Jenkins workspace or by hand from any directory.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO_ROOT"
SCRIPT_NAME="$(basename "$0")"
# The project's virtualenv, created by scripts/install.sh (make install).
VENV_BIN="${VENV_BIN:-$REPO_ROOT/.venv/bin}"
REPORTS_DIR="${REPORTS_DIR:-build/reports}"

fail() {
  local status="$1"
  shift
  echo "$SCRIPT_NAME: error: $*" >&2
  exit "$status"
}

# require_env NAME "what it is": exit 2 naming the variable when it is unset or empty.
require_env() {
  [[ -n "${!1:-}" ]] || fail 2 "environment variable $1 is not set: $2"
}

require_choice() {
  local name="$1"
  shift
  local choice
  for choice in "$@"; do
    [[ "${!name}" == "$choice" ]] && return 0
  done
  fail 2 "$name='${!name}' is not valid: use one of $*"
}

require_venv() {
  [[ -x "$VENV_BIN/python" ]] || fail 2 "$VENV_BIN/python not found: run scripts/install.sh first"
}

# A workload environment's name (its file is environments/<name>.tfvars.json; the Python loader checks the rest).
require_workload_name() {
  local value="${!1}"
  [[ "$value" =~ ^[a-z][a-z0-9]*(-[a-z0-9]+)*$ && ${#value} -le 20 && "$value" != registry && "$value" != tooling ]] \
    || fail 2 "$1='$value' is not a workload environment: use the name of a file environments/<name>.tfvars.json with a workload section (lower-case letters, digits and single hyphens)"
}

require_workload_env() {
  require_env TARGET_ENV "the workload environment to deploy (a file environments/<TARGET_ENV>.tfvars.json)"
  require_workload_name TARGET_ENV
}

# Print which identity the stage acts as (the build log then shows the role and account of every deploy
# step); fail early, naming the fix, when there are no usable credentials.
show_aws_identity() {
  local identity
  identity="$("$VENV_BIN/python" - <<'PY'
import sys

import boto3
import botocore.exceptions

try:
    print(boto3.client("sts", region_name=boto3.Session().region_name or "us-east-1").get_caller_identity()["Arn"])
except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
    sys.exit(f"no usable AWS credentials ({error}): run inside withAWS, or export credentials for the account")
PY
)" || fail 2 "cannot tell which AWS identity this stage acts as"
  echo "$SCRIPT_NAME: acting as $identity"
}

# Endpoint stages: which account's endpoints (ENDPOINT_ENV) and which registry version they serve.
require_endpoint_params() {
  require_env ENDPOINT_ENV "the workload environment whose endpoints this stage acts on"
  require_workload_name ENDPOINT_ENV
  require_env ENDPOINT_MODEL_VERSION "the build parameter ENDPOINT_MODEL_VERSION: the model package version to serve"
  [[ "$ENDPOINT_MODEL_VERSION" =~ ^[1-9][0-9]*$ ]] \
    || fail 2 "ENDPOINT_MODEL_VERSION='$ENDPOINT_MODEL_VERSION' is not a model package version: enter its number (approve-model --list shows them)"
}

# "name mode" of every endpoint in the environment file of ENDPOINT_ENV, one a line.
configured_endpoints() {
  "$VENV_BIN/python" - "$ENDPOINT_ENV" <<'PY'
import sys

from pipelines.config import load_config
from pipelines.errors import ConfigError

try:
    for endpoint in load_config(sys.argv[1]).require_serving().endpoints:
        print(endpoint.name, endpoint.mode)
except ConfigError as error:
    sys.exit(f"error: {error}")
PY
}

# The secondary region of ENDPOINT_ENV's environment file, then the names of the endpoints served there, one a line.
secondary_endpoints() {
  "$VENV_BIN/python" - "$ENDPOINT_ENV" <<'PY'
import sys

from pipelines.config import load_config
from pipelines.errors import ConfigError

try:
    config = load_config(sys.argv[1])
    print(config.require_secondary_region().region)
    for name in config.require_secondary_region().endpoints:
        print(config.require_secondary_endpoint(name).name)
except ConfigError as error:
    sys.exit(f"error: {error}")
PY
}
