#!/usr/bin/env bash
# Make sure the system libraries that the locked Python packages load at run time are present.
#
#   reporting's PDF reports (WeasyPrint): Pango (libpango-1.0, libpangoft2-1.0, which bring HarfBuzz,
#   fontconfig, FreeType and GLib) and HarfBuzz's subsetter (libharfbuzz-subset, which WeasyPrint
#   uses to embed only the glyphs a report needs; it will be required by its next versions).
#   No fonts are needed: reporting ships its Korean font and embeds it in every PDF.
#
# Idempotent: when everything is present it prints nothing and exits 0. When something is missing:
# as root on Debian/Ubuntu it installs exactly the missing packages with apt-get; otherwise it prints
# the exact command to run and exits 1.
#
#   scripts/ensure-system-deps.sh            # check, install what is missing (root + apt-get)
#   scripts/ensure-system-deps.sh --check    # check only: exit 1 and print the command if something is missing
set -euo pipefail

check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# soname  Debian package (bash 3 compatible: no associative arrays)
LIBS="libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 libharfbuzz-subset.so.0:libharfbuzz-subset0"

have_lib() {  # is a shared library with this soname known to the dynamic loader?
  local ldconfig
  ldconfig="$(command -v ldconfig || true)"
  [ -z "$ldconfig" ] && [ -x /sbin/ldconfig ] && ldconfig=/sbin/ldconfig
  if [ -n "$ldconfig" ] && "$ldconfig" -p 2>/dev/null | grep -qF "$1 "; then
    return 0
  fi
  local dir
  for dir in /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /lib/*-linux-gnu /usr/lib/*-linux-gnu; do
    [ -e "$dir/$1" ] && return 0
  done
  return 1
}

if [ "$(uname -s)" = "Darwin" ]; then
  prefix="$(brew --prefix 2>/dev/null || echo /opt/homebrew)"
  if [ -e "$prefix/lib/libpango-1.0.dylib" ] && [ -e "$prefix/lib/libharfbuzz-subset.dylib" ]; then
    exit 0
  fi
  echo "Pango and HarfBuzz are needed for PDF reports. Run:" >&2
  echo "  brew install pango harfbuzz" >&2
  exit 1
fi

missing=""
for pair in $LIBS; do
  have_lib "${pair%%:*}" || missing="$missing ${pair#*:}"
done
missing="${missing# }"
[ -z "$missing" ] && exit 0

command="apt-get install -y --no-install-recommends $missing"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system libraries for PDF reports (Debian names: $missing)." >&2
  echo "Install Pango (>= 1.44) and HarfBuzz with its subset library with your package manager, e.g.:" >&2
  echo "  dnf install pango harfbuzz      # Fedora" >&2
  echo "  apk add pango harfbuzz-subset   # Alpine" >&2
  exit 1
fi
if $check_only || [ "$(id -u)" -ne 0 ]; then
  echo "Missing system libraries for PDF reports: $missing. Run:" >&2
  echo "  sudo $command" >&2
  exit 1
fi
echo "installing system libraries: $missing" >&2
export DEBIAN_FRONTEND=noninteractive
# try with the package lists as they are; refresh them only if that fails (stale or absent lists)
apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends $missing >&2
}
for pair in $LIBS; do
  have_lib "${pair%%:*}" || { echo "still missing after apt-get: ${pair%%:*}" >&2; exit 1; }
done
