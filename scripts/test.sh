#!/usr/bin/env bash
# Run every test, on every core. Exit non-zero on any failure, and also when no test ran at all.
set -uo pipefail
cd "$(dirname "$0")/.."

# What the tests write (databases, the servers' data directories, pytest's temporary paths) goes to
# memory when the machine has room for it: creating a PostgreSQL database (a copy of its template's
# files) takes ~20 ms in tmpfs against ~270 ms on a disk where creating and deleting files is slow.
# The directory is removed afterwards, freeing that memory. TMPDIR set by the caller is kept.
if [[ -z "${TMPDIR:-}" && -d /dev/shm && -w /dev/shm ]]; then
  free_kib=$(df --output=avail -k /dev/shm 2>/dev/null | tail -1 | tr -d ' ')
  if [[ "$free_kib" =~ ^[0-9]+$ ]] && (( free_kib > 4 * 1024 * 1024 )); then
    TMPDIR=$(mktemp -d /dev/shm/sessionforge-tests.XXXXXX)
    chmod 1777 "$TMPDIR"  # as /tmp: the PostgreSQL server runs as another user when we are root
    export TMPDIR
    trap 'rm -rf "$TMPDIR"' EXIT
  fi
fi

# Python keeps compiled modules beside their sources (ignored by git) even where the caller turned
# that off: every Python process the tests start (the CLI, a second process on a session) then reads
# sessionforge's modules compiled instead of compiling them again.
unset PYTHONDONTWRITEBYTECODE

.venv/bin/python -m pytest -q -p no:cacheprovider -n auto "$@"
code=$?
if [[ $code -eq 5 ]]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit $code
