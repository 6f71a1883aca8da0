#!/usr/bin/env bash
# Installs Schemathesis (PyPI, pinned) into .build-venv/ for the API fuzzing test, only when missing.
# A virtual environment keeps its many dependencies away from the system's Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
if ! .build-venv/bin/schemathesis --version 2>/dev/null | grep -q "$version"; then
  echo "installing schemathesis $version into .build-venv (API fuzzing)" >&2
  python3 -m venv .build-venv
  .build-venv/bin/python -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
fi
