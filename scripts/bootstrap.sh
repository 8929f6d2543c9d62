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
# llama.cpp has no wheel for this platform and is compiled here. It is built for a portable x86-64
# target, not -march=native: a native build on a CPU with AMX tiles crashes in a VM whose kernel does
# not grant them. pip's own wheel cache does not key on build flags, so the wheel is kept in a cache
# directory named after them and installed from there.
llama_flags="-DGGML_NATIVE=OFF"
llama_spec="llama-cpp-python>=0.3.36,<0.4"
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/sessionforge/wheels/$(printf '%s' "$llama_flags" | sha1sum | cut -c1-12)"
llama_stamp=.venv/.llama-portable
if [[ ! -f $llama_stamp ]]; then
  if ! compgen -G "$wheels/llama_cpp_python-*.whl" >/dev/null; then
    echo "building llama.cpp once for this machine (~4 min)"
    CMAKE_ARGS="$llama_flags" .venv/bin/pip wheel -q --no-deps --no-cache-dir -w "$wheels" "$llama_spec"
  fi
  .venv/bin/pip install -q --force-reinstall --no-deps "$wheels"/llama_cpp_python-*.whl
  touch "$llama_stamp"
fi
stamp=.venv/.sessionforge-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "installing sessionforge and its extras into .venv"
  .venv/bin/pip install -q -e '.[dev]'
  touch "$stamp"
fi
