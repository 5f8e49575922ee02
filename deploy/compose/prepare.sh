#!/usr/bin/env bash
# Prepare a host for `docker compose up`: run from the repository root with the workspace installed (`make deps`).
#   deploy/compose/prepare.sh            # then: docker compose --profile demo up -d --build
# 1. .env: copied from .env.example when missing; every EMPTY password (POSTGRES_PASSWORD, <SERVICE>_DB_PASSWORD,
#    <SERVICE>_NATS_PASSWORD, NATS_ADMIN_PASSWORD, ANALYTICS_NATS_PASSWORD) gets a random value, and the data keys
#    (SUNMOON_DATA_KEYS, SUNMOON_BLIND_INDEX_KEY) are generated when empty, and so is the desk's API token
#    (INTAKE_SERVICE_TOKEN; its `desk:service:<sha256>` entry goes into SUNMOON_API_TOKENS, other entries kept).
#    Values already set are never changed.
# 2. $NATS_AUTH_DIR/authorization.conf (default deploy/compose/nats-auth, ignored by git): the nats-server
#    `authorization` block for those passwords, one user per service plus admin and analytics, with the
#    permissions `python -m sunmoon.access` derives (bcrypt hashes only; the passwords stay in .env).
# Run it again after changing a NATS password in .env, then `docker compose kill -s HUP nats` (reload) and
# `docker compose up -d <service>` (docs/deployment.md, "Rotating passwords").
# Environment: ENV_FILE (default .env), NATS_AUTH_DIR, UV (default .tools/bin/uv), NATS_BCRYPT_ROUNDS (11).
set -euo pipefail
case "${1:-}" in
  -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
  "") ;;
  *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac
root="$(cd "$(dirname "$0")/../.." && pwd)"
env_file="${ENV_FILE:-$root/.env}"
auth_dir="${NATS_AUTH_DIR:-$root/deploy/compose/nats-auth}"
uv="${UV:-$root/.tools/bin/uv}"
py() { "$uv" run --project "$root" --frozen --no-sync python "$@"; }
services="intake classifier notifier weather reporting"

[ -f "$env_file" ] || { cp "$root/.env.example" "$env_file"; echo "created $env_file from .env.example"; }
chmod 0600 "$env_file"
get() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
put() {  # set KEY=VALUE in the env file (the value is hex or base64: no sed metacharacters but / and +)
  if grep -q "^$1=" "$env_file"; then sed -i "s|^$1=.*|$1=$2|" "$env_file"; else echo "$1=$2" >> "$env_file"; fi
}
rand() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }  # 48 hex digits
filled=0
for var in POSTGRES_PASSWORD NATS_ADMIN_PASSWORD ANALYTICS_NATS_PASSWORD \
           $(for s in $services; do s="${s^^}"; echo "${s}_DB_PASSWORD ${s}_NATS_PASSWORD"; done); do
  if [ -z "$(get "$var")" ]; then put "$var" "$(rand)"; filled=$((filled + 1)); fi
done
if [ -z "$(get SUNMOON_DATA_KEYS)" ] || [ -z "$(get SUNMOON_BLIND_INDEX_KEY)" ]; then
  keys="$(py -m sunmoon.crypto generate)"
  put SUNMOON_DATA_KEYS "$(sed -n 's/^SUNMOON_DATA_KEYS=//p' <<<"$keys")"
  put SUNMOON_BLIND_INDEX_KEY "$(sed -n 's/^SUNMOON_BLIND_INDEX_KEY=//p' <<<"$keys")"
  filled=$((filled + 2))
  echo "generated the data keys: keep a copy of SUNMOON_DATA_KEYS and SUNMOON_BLIND_INDEX_KEY in the city's vault"
fi
if [ -z "$(get INTAKE_SERVICE_TOKEN)" ]; then
  issued="$(py -c 'from sunmoon.auth import issue; print(*issue("desk", "service"), sep="\n")')"
  others="$(get SUNMOON_API_TOKENS | tr ',' '\n' | grep -v '^desk:' | paste -sd, - || true)"
  put INTAKE_SERVICE_TOKEN "$(sed -n 1p <<<"$issued")"
  put SUNMOON_API_TOKENS "$(sed -n 2p <<<"$issued")${others:+,$others}"
  filled=$((filled + 1))
fi
echo "$env_file: $filled empty value(s) filled"

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for s in $services; do get "${s^^}_NATS_PASSWORD" > "$tmp/$s.password"; done
get NATS_ADMIN_PASSWORD > "$tmp/admin.password"
get ANALYTICS_NATS_PASSWORD > "$tmp/analytics.password"
mkdir -p "$auth_dir"
py -m sunmoon.access nats-config --secrets-dir "$tmp" --rounds "${NATS_BCRYPT_ROUNDS:-11}" > "$tmp/authorization.conf"
install -m 0644 "$tmp/authorization.conf" "$auth_dir/authorization.conf"
echo "wrote $auth_dir/authorization.conf (users: $services admin analytics)"
