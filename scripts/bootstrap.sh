#!/usr/bin/env bash
# Prepare a fresh machine: a virtualenv with sessionforge and every extra installed.
# With --services, also install the servers the integration tests start (Redis, PostgreSQL,
# Chromium): Debian packages, installed only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
if [[ "${1:-}" == "--services" ]]; then
  command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
fi
if (( ${#need_apt[@]} )); then
  echo "installing ${need_apt[*]} (Debian packages)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=.venv/.sessionforge-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "installing sessionforge and its extras into .venv (the embedded model builds once, ~6 min)"
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi
