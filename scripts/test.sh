#!/usr/bin/env bash
# Run every test, on every core. Exit non-zero on any failure, and also when no test ran at all.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q -p no:cacheprovider -n auto "$@"
code=$?
if [[ $code -eq 5 ]]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit $code
