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
