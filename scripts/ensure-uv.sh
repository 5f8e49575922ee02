#!/usr/bin/env bash
# Print the path of a uv binary, installing uv first if this machine has none.
# Order: uv on PATH, ~/.local/bin/uv, a private bootstrap venv (.tools/uv) made with python3 -m venv + pip.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x "$HOME/.local/bin/uv" ]; then echo "$HOME/.local/bin/uv"; exit 0; fi
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/.tools/bin/uv" ]; then
  py="$(command -v python3 || true)"
  if [ -z "$py" ]; then
    echo "Python 3.11 or newer is needed: install python3 (and python3-venv on Debian/Ubuntu), then run this again." >&2
    exit 1
  fi
  echo "installing uv into $root/.tools ..." >&2
  "$py" -m venv "$root/.tools" >&2 || { echo "python3 -m venv failed: on Debian/Ubuntu install python3-venv." >&2; exit 1; }
  "$root/.tools/bin/pip" install --quiet --disable-pip-version-check uv >&2
fi
echo "$root/.tools/bin/uv"
