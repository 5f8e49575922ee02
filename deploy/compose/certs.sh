#!/bin/sh
# One-shot `certs` service of docker-compose.yml (runs as root in the intake image, before NATS, PostgreSQL and
# the services): makes the TLS files in $TLS_DIR (the `tls` volume, or the folder $SUNMOON_TLS_DIR names) and gives
# each reader its own readable copy of the key.
#   - our local CA (ca-key.pem present) or nothing there yet: `python -m sunmoon.tls init` creates or renews the
#     CA and one server certificate naming every service, nats, postgres and $SUNMOON_PUBLIC_HOST;
#   - a city's own ca.pem / server.pem / server-key.pem (no ca-key.pem): used as they are, never replaced.
# Then: server-key.pem root:10001 0640 (the services' user), postgres-key.pem root:999 0640 (PostgreSQL accepts
# a root-owned key readable by its group), certificates 0644. Run by hand: TLS_DIR=dir sh deploy/compose/certs.sh
set -eu
case "${1:-}" in -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
dir="${TLS_DIR:-/run/sunmoon/tls}"
mkdir -p "$dir"
if [ -f "$dir/ca-key.pem" ] || [ ! -f "$dir/server.pem" ]; then
  python -m sunmoon.tls --dir "$dir" init --name "${SUNMOON_PUBLIC_HOST:-localhost}"
else
  echo "using the certificates found in $dir (no ca-key.pem: not ours to renew)"
fi
for f in ca.pem server.pem server-key.pem; do
  [ -s "$dir/$f" ] || { echo "missing $dir/$f" >&2; exit 1; }
done
cp "$dir/server-key.pem" "$dir/postgres-key.pem.tmp"
chmod 0644 "$dir/ca.pem" "$dir/server.pem"
chmod 0640 "$dir/server-key.pem" "$dir/postgres-key.pem.tmp"
if [ "$(id -u)" = 0 ]; then
  chown 0:"${SERVICE_GID:-10001}" "$dir/server-key.pem"
  chown 0:"${POSTGRES_GID:-999}" "$dir/postgres-key.pem.tmp"
fi
mv "$dir/postgres-key.pem.tmp" "$dir/postgres-key.pem"
[ ! -f "$dir/ca-key.pem" ] || chmod 0600 "$dir/ca-key.pem"
echo "TLS files ready in $dir"
