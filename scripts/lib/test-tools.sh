# Test tools from PyPI, in their own virtual environment under .build (never the system's).
# shellcheck shell=bash

JOBRUNNER_SCHEMATHESIS_VERSION=4.32.5

# schemathesis, the OpenAPI fuzzer the API tests run (JOBRUNNER_TEST_SCHEMATHESIS names it).
jobrunner_install_schemathesis() {
  local venv="$PWD/.build/test-venv"
  if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$JOBRUNNER_SCHEMATHESIS_VERSION"; then
    jobrunner_log "installing schemathesis $JOBRUNNER_SCHEMATHESIS_VERSION from PyPI into .build/test-venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$JOBRUNNER_SCHEMATHESIS_VERSION"
  fi
  export JOBRUNNER_TEST_SCHEMATHESIS="$venv/bin/st"
}

JOBRUNNER_KUBERNETES_CLIENT_VERSION=31.0.0

# The Kubernetes 1.31 API's object schemas, as the official Python client's models carry them:
# Tests/Support/kubernetes-schema-check.py checks the Jobs Jobrunner makes against them
# (JOBRUNNER_TEST_KUBERNETES_PYTHON names the interpreter that has them).
jobrunner_install_kubernetes_schema() {
  local venv="$PWD/.build/test-k8s-venv"
  if ! "$venv/bin/python" -c "import kubernetes, sys; sys.exit(kubernetes.__version__ != '$JOBRUNNER_KUBERNETES_CLIENT_VERSION')" 2>/dev/null; then
    jobrunner_log "installing the Kubernetes $JOBRUNNER_KUBERNETES_CLIENT_VERSION client (its API schemas) from PyPI into .build/test-k8s-venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes==$JOBRUNNER_KUBERNETES_CLIENT_VERSION"
  fi
  export JOBRUNNER_TEST_KUBERNETES_PYTHON="$venv/bin/python"
}
