#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is new (docker-entrypoint-initdb.d): one login role per service that owns
# its own database; CONNECT is revoked from PUBLIC so a role cannot open another service's database
# (the same rules as `python -m sunmoon.access pg-roles`). Passwords come from the environment (.env or a Secret),
# never from here. When the server runs with ssl=on, every TCP connection without TLS is refused from then on
# (pg_hba `hostnossl ... reject` first; the local socket, used by pg_isready, stays as it is).
set -euo pipefail
for svc in intake classifier notifier weather reporting; do
  var="$(echo "${svc}" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="${!var:?set ${var} in .env}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v role="${svc}" -v db="sunmoon_${svc}" -v pw="${password}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'pw')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"role";
SQL
done
if [ "$(psql -tA --username "$POSTGRES_USER" --dbname postgres -c 'SHOW ssl')" = "on" ]; then
  hba="${PGDATA:?}/pg_hba.conf"
  grep -q '^hostnossl all all all reject' "$hba" || sed -i '1i hostnossl all all all reject' "$hba"
fi
