#!/usr/bin/env bash
# Stage 'Install': the project's virtualenv with the pinned dependencies (the Makefile's install target).
# By hand:  scripts/install.sh   (PYTHON=python3.11 by default, as in the Makefile)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

make --no-print-directory install ${PYTHON:+PYTHON="$PYTHON"}
"$VENV_BIN/python" --version
