#!/usr/bin/env bash
# Make sure Debian's Chromium is installed at /usr/bin/chromium (the browser tests drive it through Playwright).
# Idempotent: does nothing when it is already there. Never downloads a browser build: Debian's package only.
# Needs root (or sudo) and Debian's package repositories; prints the path on success.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo /usr/bin/chromium
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "ensure-chromium: /usr/bin/chromium is missing and this is not root; run: apt-get install -y chromium" >&2
        exit 1
    fi
else
    SUDO=
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: no apt-get here; install Chromium so that /usr/bin/chromium exists" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# fonts-noto-cjk: Korean glyphs in screenshots (without it Hangul shows as boxes)
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >&2
[ -x /usr/bin/chromium ] || { echo "ensure-chromium: apt-get finished but /usr/bin/chromium is missing" >&2; exit 1; }
echo /usr/bin/chromium
